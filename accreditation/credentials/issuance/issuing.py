"""Issuing, revoking and reissuing one credential.

``issue_engagement`` / ``issue_award`` build the document from the records (``facts``,
``documents``), give it a status entry, check it against the data models (``validation``),
sign it (``proof``) and store it; with ``replaces`` the old credential is revoked (its status
bit set) and points to the new one, in the same savepoint. A credential of the same subject
issued at the same moment by another transaction wins (the partial unique index): the loser
returns None and changes nothing. Everything here flushes only; the caller commits."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, cast, exists, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lti_tool.actor import Actor
from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.models import Tenant, User, utcnow
from lti_tool.notify.notifications import notify

from .. import proof
from ..models import Credential, CredentialSubject
from . import documents, facts, validation


class IssuanceError(AppError):
    """A document the institution must not sign (it fails the data model's checks)."""

    status = 500
    title = "The credential could not be issued"


def subject_row(tenant_id: int, student_id: int) -> CredentialSubject:
    """The student's subject settings, made (with a new salt) the first time (flushes)."""
    return _student(tenant_id, student_id)[0]


@functools.cache
def _student_statement() -> Select[User, CredentialSubject, bool]:
    """``_student``'s statement (bound: ``tenant_id``, ``student_id``, ``clr_key``), built
    once per process."""
    tenant_id = bindparam("tenant_id", type_=Integer)
    has_clr = exists().where(
        Credential.tenant_id == tenant_id,
        Credential.subject_key == bindparam("clr_key"),
        Credential.revoked_at.is_(None),
    )
    return (
        select(User, CredentialSubject, has_clr)
        .outerjoin(
            CredentialSubject,
            (CredentialSubject.student_id == User.id) & (CredentialSubject.tenant_id == tenant_id),
        )
        .where(User.tenant_id == tenant_id, User.id == bindparam("student_id"))
    )


def _student(tenant_id: int, student_id: int) -> tuple[CredentialSubject, User | None, bool]:
    """The student's subject settings (made the first time, flushing), the student, and
    whether they hold a valid CLR (which a revoked credential of theirs may be bundled in),
    read in one statement."""
    params = {"tenant_id": tenant_id, "student_id": student_id, "clr_key": f"clr:{student_id}"}
    found = db.session.execute(_student_statement(), params).first()
    user, row, clr = (
        (found[0], found[1], bool(found[2])) if found is not None else (None, None, True)
    )
    if row is None:
        try:
            with db.session.begin_nested():
                row = CredentialSubject(tenant_id=tenant_id, student_id=student_id)
                db.session.add(row)
        except IntegrityError:  # made by another transaction meanwhile
            row = db.session.scalar(
                select(CredentialSubject).where(CredentialSubject.student_id == student_id)
            )
    if row is None:  # pragma: no cover - a row that was there a moment ago
        raise AppError("The student's credential settings could not be read; try again.")
    return row, user, clr


Student = tuple[CredentialSubject | None, User | None, bool]  # as _student reads them


def with_student(query: Select[Any], tenant_id: Any, student_id: Any) -> Select[Any]:
    """``query`` with the subject settings (None when not made yet) of the student of the
    ``student_id`` column, the student, and whether they hold a valid CLR as its last three
    columns (a ``Student``, which ``issue_award`` takes instead of reading it)."""
    clr = aliased(Credential)
    has_clr = exists().where(
        clr.tenant_id == tenant_id,
        clr.subject_key == literal("clr:") + cast(student_id, String),
        clr.revoked_at.is_(None),
    )
    return (
        query.add_columns(CredentialSubject, User, has_clr)
        .outerjoin(User, (User.id == student_id) & (User.tenant_id == tenant_id))
        .outerjoin(
            CredentialSubject,
            (CredentialSubject.student_id == student_id)
            & (CredentialSubject.tenant_id == tenant_id),
        )
    )


def _read_student(
    tenant_id: int, student_id: int, read: Student | None
) -> tuple[CredentialSubject, User | None, bool]:
    """``read`` when it is this student's, with their subject settings, else ``_student``."""
    row, user, has_clr = read or (None, None, True)
    if row is None or user is None or user.id != student_id or user.tenant_id != tenant_id:
        return _student(tenant_id, student_id)
    return row, user, has_clr


def _subject(row: CredentialSubject, user: User | None, student_id: int) -> documents.Subject:
    email = (user.email if user else "").strip().lower()
    sub = user.sub if user else str(student_id)
    return documents.Subject(did=row.did, email=email, lti_user_id=sub, salt=row.salt)


def subject_of(tenant_id: int, student_id: int) -> documents.Subject:
    """How the student's credentials name them (their DID, else their hashed email)."""
    row, user, _clr = _student(tenant_id, student_id)
    return _subject(row, user, student_id)


def tenant_of(tenant_id: int, lookups: facts.Lookups | None = None) -> Tenant:
    """The tenant (kept by ``lookups`` for the rest of its run)."""
    tenant = lookups.tenants.get(tenant_id) if lookups is not None else None
    if tenant is None:
        tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise AppError("That institution does not exist.")
    if lookups is not None:
        lookups.tenants[tenant_id] = tenant
    return tenant


def sign_new(
    tenant: Tenant, unsigned: dict[str, Any], using: proof.Signer | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The signed document with a new status entry, and the entry; refused when the document
    fails the Open Badges / CLR data model checks. ``using``: the tenant's signer, read once
    for a run."""
    found = validation.problems(unsigned)
    if found:  # checked before a status bit is spent on it
        raise IssuanceError("The credential does not meet the data model: " + "; ".join(found))
    entry = proof.allocate_status(tenant)
    unsigned["credentialStatus"] = entry
    return proof.sign(tenant, unsigned, using), entry


def revoke(
    credential: Credential,
    reason: str,
    replaced_by: Credential | None = None,
    *,
    clr: bool = True,
) -> None:
    """Revoke a credential (its status bit too) and the student's CLR that bundles it
    (``clr`` False: the student is known to hold none)."""
    if credential.revoked_at is None:
        proof.set_revoked(credential.tenant_id, credential.status_entry, True)
        credential.revoked_at = utcnow()
        credential.revoked_reason = reason
    if replaced_by is not None:
        credential.replaced_by_id = replaced_by.id
    if clr and credential.kind != "clr":
        _revoke_clr_bundling(credential)
    db.session.flush()


def _revoke_clr_bundling(credential: Credential) -> None:
    clr = db.session.scalar(
        select(Credential).where(
            Credential.tenant_id == credential.tenant_id,
            Credential.subject_key == f"clr:{credential.student_id}",
            Credential.revoked_at.is_(None),
        )
    )
    if clr is not None and credential.uuid in (clr.bundled or []):
        revoke(clr, "reissued")


def store(
    credential: Credential, replaces: Credential | None, reason: str, *, clr: bool = True
) -> Credential | None:
    """Add ``credential`` in place of ``replaces`` (revoked, pointing to it; ``clr`` as for
    ``revoke``); None when another transaction issued this subject's credential meanwhile.
    A new version of the same subject is added after the old one is revoked (to leave the
    unique index); another subject's (a correction's award) before, so the old row is
    written once, revoked and pointing to it."""
    try:
        with db.session.begin_nested():
            if replaces is not None and replaces.subject_key == credential.subject_key:
                revoke(replaces, reason, clr=clr)
                clr = False  # looked at once
            db.session.add(credential)
            db.session.flush()
            if replaces is not None:
                revoke(replaces, reason, credential, clr=clr)
    except IntegrityError:
        return None
    return credential


def _new(
    actor: Actor,
    tenant: Tenant,
    unsigned: dict[str, Any],
    lookups: facts.Lookups | None,
    **columns: Any,
) -> Credential:
    using = lookups.signer(tenant) if lookups is not None else None
    signed, entry = sign_new(tenant, unsigned, using)
    return Credential(
        tenant_id=tenant.id,
        uuid=signed["id"].removeprefix("urn:uuid:"),
        name=signed["name"][:300],
        document=signed,
        status_entry=entry,
        issued_by=actor.name,
        **columns,
    )


def issue_engagement(
    actor: Actor,
    engagement_id: int,
    *,
    choice: dict[str, Any] | None = None,
    replaces: Credential | None = None,
    reason: str = "reissued",
    quiet: bool = False,
    lookups: facts.Lookups | None = None,
) -> Credential | None:
    """Issue the credential of a completed, evaluated engagement (in place of ``replaces``
    when given); None when the engagement does not qualify or another issued it."""
    tenant = tenant_of(actor.tenant, lookups)
    found = facts.engagement_facts(tenant.id, engagement_id, lookups)
    if found is None:
        return None
    chosen = dict(choice if choice is not None else (replaces.evidence_choice if replaces else {}))
    now = utcnow()
    # the student kept until the notice below, which then finds them in the session
    row, student, has_clr = _student(tenant.id, found.student_id)
    unsigned = documents.engagement_credential(
        proof.issuer_profile(tenant),
        found,
        _subject(row, student, found.student_id),
        chosen,
        now,
    )
    credential = _new(
        actor,
        tenant,
        unsigned,
        lookups,
        student_id=found.student_id,
        kind="achievement",
        source="engagement",
        subject_key=f"engagement:{engagement_id}",
        engagement_id=engagement_id,
        evidence_choice=chosen,
        shared=bool(replaces.shared) if replaces else False,
        issued_at=now,
    )
    stored = store(credential, replaces, reason, clr=has_clr)
    if stored is not None and replaces is None and not quiet:
        notify(
            tenant.id,
            found.student_id,
            "credential_issued",
            f"Your credential for the micro-internship {found.title} is ready to share.",
            engagement_id=engagement_id,
        )
    return stored


def issue_award(
    actor: Actor,
    award_id: int,
    *,
    replaces: Credential | None = None,
    reason: str = "corrected",
    quiet: bool = False,
    lookups: facts.Lookups | None = None,
    read: facts.AwardRow | None = None,
    student: Student | None = None,
) -> Credential | None:
    """Issue the credential of a final, current credit award (in place of ``replaces``, the
    credential of the award it corrected; ``read`` and ``student``: the award and its
    course's title, the student, read already); None when it does not qualify or another
    issued it."""
    tenant = tenant_of(actor.tenant, lookups)
    found = facts.award_facts(tenant.id, award_id, lookups, read)
    if found is None:
        return None
    now = utcnow()
    # the student kept until the notice below, which then finds them in the session
    row, user, has_clr = _read_student(tenant.id, found.student_id, student)
    unsigned = documents.award_credential(
        proof.issuer_profile(tenant), found, _subject(row, user, found.student_id), now
    )
    credential = _new(
        actor,
        tenant,
        unsigned,
        lookups,
        student_id=found.student_id,
        kind="achievement",
        source="award",
        subject_key=f"award:{award_id}",
        award_id=award_id,
        shared=bool(replaces.shared) if replaces else False,
        issued_at=now,
    )
    stored = store(credential, replaces, reason, clr=has_clr)
    if stored is not None and not quiet:
        verb = "updated" if replaces is not None else "ready to share"
        notify(
            tenant.id,
            found.student_id,
            "credential_issued",
            f"Your credential for {found.credits} credit{'s' if found.credits != 1 else ''} "
            f"in {found.course_title} is {verb}.",
        )
    return stored


def reissue(actor: Actor, credential: Credential, reason: str, **kw: Any) -> Credential | None:
    """A new version of a valid achievement credential (the records read again), the old one
    revoked for ``reason``."""
    if credential.source == "engagement" and credential.engagement_id is not None:
        return issue_engagement(
            actor, credential.engagement_id, replaces=credential, reason=reason, **kw
        )
    if credential.source == "award" and credential.award_id is not None:
        return issue_award(actor, credential.award_id, replaces=credential, reason=reason, **kw)
    return None
