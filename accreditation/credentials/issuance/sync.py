"""When credentials are issued: whatever is missing, derived from the records and safe to run
again (like ``accreditation.evidence.services.sync_supervisor_evidence``).

What is missing, per tenant:

- a completed engagement with a supervisor evaluation and no credential;
- a final, current credit award with no credential;
- a valid credential of an award that a correction superseded: revoked, and the correcting
  award's credential issued in its place (``replaced_by_id``) once that award is final.

A subject whose credential the institution withdrew (revoked with nothing in its place) is
not issued again. ``sync_tenant`` does the work in chunks (each flushed; the caller commits,
or passes ``commit_each`` for a task that shows progress)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Exists,
    Integer,
    Select,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased, defer

from credit.models import CreditAward
from internships.work.models import Engagement, SupervisorEvaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Course

from ..models import Credential
from . import facts, issuing

IdQuery = Select[int, int]  # (id, tenant id) rows
AUTOMATIC = "Career Credit (issues credentials automatically)"


@dataclass
class SyncResult:
    issued: int = 0
    revoked: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.issued += other.issued
        self.revoked += other.revoked
        return self


def _has_credential(source: str, column: Any) -> Exists:
    """A credential of this subject that stands (valid, or withdrawn with no replacement)."""
    return exists().where(
        Credential.source == source,
        (Credential.engagement_id if source == "engagement" else Credential.award_id) == column,
        Credential.replaced_by_id.is_(None),
    )


def pending_engagements(tenant_id: int | None, student_id: int | None = None) -> IdQuery:
    """The query of completed, evaluated engagements with no credential (ids, oldest first)."""
    query = (
        select(Engagement.id, Engagement.tenant_id)
        .join(SupervisorEvaluation, SupervisorEvaluation.engagement_id == Engagement.id)
        .where(Engagement.status == "completed", ~_has_credential("engagement", Engagement.id))
        .order_by(Engagement.id)
    )
    if tenant_id is not None:
        query = query.where(Engagement.tenant_id == tenant_id)
    if student_id is not None:
        query = query.where(Engagement.student_id == student_id)
    return query


def pending_awards(tenant_id: int | None, student_id: int | None = None) -> IdQuery:
    """The query of final, current awards with no credential (ids, oldest first)."""
    query = (
        select(CreditAward.id, CreditAward.tenant_id)
        .where(
            CreditAward.status == "final",
            CreditAward.superseded_at.is_(None),
            ~_has_credential("award", CreditAward.id),
        )
        .order_by(CreditAward.id)
    )
    if tenant_id is not None:
        query = query.where(CreditAward.tenant_id == tenant_id)
    if student_id is not None:
        query = query.where(CreditAward.student_id == student_id)
    return query


def superseded(tenant_id: int | None, student_id: int | None = None) -> IdQuery:
    """The query of valid credentials of awards a correction superseded. The award is found by
    its primary key from the credential's own (tenant-scoped) row: correlating on the tenant as
    well let PostgreSQL, with statistics from when the tables were small, scan every award of
    the tenant for each valid credential (47 ms a tick in the soak, against 1 ms)."""
    replaced = exists().where(
        CreditAward.id == Credential.award_id, CreditAward.superseded_at.is_not(None)
    )
    query = (
        select(Credential.id, Credential.tenant_id)
        .where(Credential.revoked_at.is_(None), Credential.award_id.is_not(None), replaced)
        .order_by(Credential.id)
    )
    if tenant_id is not None:
        query = query.where(Credential.tenant_id == tenant_id)
    if student_id is not None:
        query = query.where(Credential.student_id == student_id)
    return query


def _ids(query: IdQuery, limit: int | None = None) -> list[int]:
    stmt = query.limit(limit) if limit else query
    return [int(row[0]) for row in db.session.execute(stmt)]


def pending_count(tenant_id: int, student_id: int | None = None) -> int:
    """How many credentials the tenant (or student) waits for (issues and corrections)."""
    total = 0
    for query in (
        pending_engagements(tenant_id, student_id),
        pending_awards(tenant_id, student_id),
        superseded(tenant_id, student_id),
    ):
        sub = query.subquery()
        total += int(db.session.scalar(select(func.count()).select_from(sub)) or 0)
    return total


KINDS = ("corrections", "awards", "engagements")  # the work, in the order it is done


@dataclass(frozen=True)
class Pending:
    """What a tenant waits for: how much (each kind's count added up), and the kinds of work
    a run looks for (not awards that only a correction's re-issue waits for: it issues them)."""

    total: int
    kinds: frozenset[str]


@functools.cache
def _pending_by_tenant() -> CompoundSelect:
    """Every kind of work grouped by tenant, in one statement (built once per process: it has
    no parameters): the tenant, the kind (its place in ``KINDS``), how many, and how many of
    them a run must look for (of awards: those that do not supersede an award whose
    credential stands, which the corrections re-issue)."""
    counts = []
    for number, query in enumerate(
        (superseded(None), pending_awards(None), pending_engagements(None))
    ):
        alone: Any = func.count()
        if number == 1:  # the awards
            query = query.add_columns(CreditAward.supersedes_id)
        sub = query.order_by(None).subquery()
        if number == 1:
            corrected = exists().where(
                Credential.award_id == sub.c.supersedes_id, Credential.revoked_at.is_(None)
            )
            alone = func.count().filter(~corrected)
        counts.append(
            select(sub.c.tenant_id, literal(number, Integer), func.count(), alone).group_by(
                sub.c.tenant_id
            )
        )
    return union_all(*counts)


def pending_by_tenant() -> dict[int, Pending]:
    """Every tenant with something to issue or correct, how much, and the kinds of work to
    look for (one statement: grouped counts per kind)."""
    totals: dict[int, int] = {}
    kinds: dict[int, set[str]] = {}
    for tenant_id, number, count, alone in db.session.execute(_pending_by_tenant()):
        totals[int(tenant_id)] = totals.get(int(tenant_id), 0) + int(count)
        if alone:
            kinds.setdefault(int(tenant_id), set()).add(KINDS[int(number)])
    return {t: Pending(totals[t], frozenset(kinds.get(t, ()))) for t in sorted(totals)}


def tenants_with_pending() -> dict[int, int]:
    """Every tenant with something to issue or correct, and how much (one statement)."""
    return {tenant_id: pending.total for tenant_id, pending in pending_by_tenant().items()}


@functools.cache
def _correction_statement() -> Select[Any]:
    """The credential (bound: ``credential_id``), the award that ends the chain of
    corrections from its award, that award's course title, the id of a valid credential of
    that award if one stands, and the student as ``issuing.with_student`` adds them: one
    statement (built once per process)."""
    link = aliased(CreditAward)
    chain = (
        select(
            CreditAward.id.label("id"),
            CreditAward.superseded_by_id.label("next"),
            literal(0, Integer).label("depth"),
        )
        .join(Credential, Credential.award_id == CreditAward.id)
        .where(Credential.id == bindparam("credential_id"))
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(link.id, link.superseded_by_id, chain.c.depth + 1).where(
            link.id == chain.c.next, chain.c.depth < _LONGEST_CHAIN
        )
    )
    last = select(chain.c.id).order_by(chain.c.depth.desc()).limit(1).scalar_subquery()
    standing = aliased(Credential)
    existing = (
        select(standing.id)
        .where(
            standing.tenant_id == Credential.tenant_id,
            standing.award_id == CreditAward.id,
            standing.revoked_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Credential, CreditAward, Course.title, existing)
        .select_from(Credential)
        .outerjoin(CreditAward, CreditAward.id == last)
        .outerjoin(Course, Course.id == CreditAward.course_id)
        .where(Credential.id == bindparam("credential_id"))
        .options(defer(Credential.document))  # revoking it does not read its signed document
    )
    return issuing.with_student(query, Credential.tenant_id, Credential.student_id)


_LONGEST_CHAIN = 1000  # corrections followed from a credential's award (a cycle ends there)


def correct(actor: Actor, credential_id: int, lookups: facts.Lookups | None = None) -> SyncResult:
    """Revoke the credential of a superseded award; issue the correcting award's in its
    place when that one is final (else it is issued once approved)."""
    row = db.session.execute(_correction_statement(), {"credential_id": credential_id}).first()
    if row is None:
        return SyncResult()
    credential, current, course_title, existing_id, subject, student, has_clr = row
    if credential.revoked_at is not None or credential.award_id is None:
        return SyncResult()
    if current is not None and current.is_current and current.status == "final":
        if existing_id is None:
            issued = issuing.issue_award(
                actor,
                current.id,
                replaces=credential,
                lookups=lookups,
                read=(current, course_title),
                student=(subject, student, bool(has_clr)),
            )
            return SyncResult(1, 1) if issued is not None else SyncResult()
        credential.replaced_by_id = int(existing_id)
    issuing.revoke(credential, "corrected")
    return SyncResult(0, 1)


Progress = Callable[[SyncResult], None]


def sync_tenant(
    actor: Actor,
    *,
    student_id: int | None = None,
    limit: int | None = None,
    chunk: int = 50,
    progress: Progress | None = None,
    kinds: Collection[str] = KINDS,
) -> SyncResult:
    """Issue and correct what is missing for the actor's tenant (or one student), at most
    ``limit`` credentials, of the ``kinds`` of work given (those ``pending_by_tenant`` found:
    what arrives meanwhile is the next tick's); after each chunk, ``progress`` (which may
    commit) is told the running totals."""
    tenant_id = actor.tenant
    result = SyncResult()
    done = 0
    lookups = facts.Lookups()
    steps: list[tuple[str, Callable[..., IdQuery], Callable[[int], SyncResult]]] = [
        ("corrections", superseded, lambda i: correct(actor, i, lookups)),
        (
            "awards",
            pending_awards,
            lambda i: _one(issuing.issue_award(actor, i, lookups=lookups)),
        ),
        (
            "engagements",
            pending_engagements,
            lambda i: _one(issuing.issue_engagement(actor, i, lookups=lookups)),
        ),
    ]
    locked = False
    for kind, pending, step in steps:
        query = pending(tenant_id, student_id) if kind in kinds else None
        while query is not None and (limit is None or done < limit):
            size = chunk if limit is None else min(chunk, limit - done)
            if not locked:
                _one_issuer_at_a_time(tenant_id)
                locked = True
            ids = _ids(query, size)
            if not ids:
                break
            before = result.issued + result.revoked
            for item_id in ids:
                result += step(item_id)
            done += len(ids)
            db.session.flush()
            if progress is not None:
                progress(result)
                locked = False  # it may have committed: the lock is taken again
                lookups.committed()  # and the signing key is read again
            if result.issued + result.revoked == before:
                break  # nothing of this chunk could be issued (taken by another runner)
            if len(ids) < size:
                break  # all there was: what arrives meanwhile is the next tick's
    return result


def _one_issuer_at_a_time(tenant_id: int) -> None:
    """Hold the tenant's issuing lock for the rest of the transaction (PostgreSQL; SQLite's
    write lock already lets one writer in). Every worker's runner ticks, so two could correct
    the same superseded credential at once: one revoking it (its row, then the status list)
    while the other issued its replacement (the status list, then the row) deadlocked, and a
    request beside them could be the one PostgreSQL cancelled. Taken before the pending rows
    are read, so the second runner finds what the first did."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = issuing_lock_key(tenant_id)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def issuing_lock_key(tenant_id: int) -> int:
    """The tenant's issuing lock (a PostgreSQL advisory lock key)."""
    digest = hashlib.blake2b(f"credentials:{tenant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _one(credential: object) -> SyncResult:
    return SyncResult(1, 0) if credential is not None else SyncResult()
