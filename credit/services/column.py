"""The course's credit column in the LMS gradebook, and the repair of grades sent elsewhere.

Credit grades go only to a column Career Credit owns: the "Micro-internship credit" item
placed by Deep Linking, or the column it created through AGS — both carry its ``resourceId``
and ``tag``. A launch's own line item (the link it came from) is never taken on trust: the
column is read from the LMS and chosen only when it carries those marks. The chosen column is
remembered on the course's policy and read again before each decision; when it was deleted
from the gradebook, a new one is created and the instructor is told.

An earlier version took the newest launch's line item, so a grade could land in another
assignment's column (a quiz) and replace the student's score there. ``find_misposted`` reads
the course's sent grades (the outbox rows and the awards' own target) and records those whose
column is not the tool's; ``repost_misposted`` sends each student's current grade to the credit
column. The overwritten scores themselves cannot be restored by the tool: the page lists the
students and columns so that the instructor can correct those cells.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from lti_tool import jobs
from lti_tool.context import LaunchContext
from lti_tool.errors import ConnectorError, ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.lti import ags
from lti_tool.lti.deep_linking import CREDIT_SCORE_MAXIMUM
from lti_tool.models import ResourceLink, User, utcnow
from lti_tool.services import audit
from lti_tool.unit_of_work import commit_now

from ..models import CreditAward, CreditPolicy, MispostedGrade
from .policy import get_policy

LINE_ITEM_LABEL = "Micro-internship credit"
# Columns read one by one when the platform offers no line item container (at most).
_MAX_CANDIDATES = 10


@dataclass(frozen=True)
class PlannedColumn:
    """Where the next credit grade goes, as far as the tool knows without asking the LMS."""

    label: str
    score_maximum: float | None
    known: bool  # read from the LMS before; False: found or created with the first award
    others: int  # more columns with the tool's marks (the credit item placed more than once)


def planned_column(policy: CreditPolicy) -> PlannedColumn:
    """The column the review page names before the award button."""
    if policy.lineitem_url:
        return PlannedColumn(
            policy.lineitem_label or LINE_ITEM_LABEL,
            policy.lineitem_maximum,
            True,
            policy.lineitem_others,
        )
    return PlannedColumn(LINE_ITEM_LABEL, None, False, 0)


@dataclass(frozen=True)
class ResolvedColumn:
    url: str
    label: str
    score_maximum: float
    news: tuple[str, ...]  # what the instructor should hear (a column created or replaced)


def _require_course(ctx: LaunchContext) -> int:
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors can decide on credit.")
    return ctx.course_id


def _launch_candidates(ctx: LaunchContext, course_id: int) -> list[str]:
    """Line items the course's launches named: the current launch's, then each link's."""
    urls = [ctx.ags_lineitem_url] if ctx.ags_lineitem_url else []
    urls += db.session.scalars(
        select(ResourceLink.lineitem_url)
        .where(
            ResourceLink.tenant_id == ctx.tenant_id,
            ResourceLink.course_id == course_id,
            ResourceLink.lineitem_url.is_not(None),
        )
        .order_by(ResourceLink.id)
        .limit(_MAX_CANDIDATES)
    )
    return list(dict.fromkeys(u for u in urls if u))[:_MAX_CANDIDATES]


def _owned_columns(registration_id: int, container: str | None, candidates: list[str]) -> list:
    """The tool's own columns in the course, first placed first."""
    if container:
        found = ags.find_line_items(registration_id, container, resource_id=ags.OWN_RESOURCE_ID)
        return found or ags.find_line_items(registration_id, container, tag=ags.OWN_TAG)
    owned = []
    for url in candidates:
        try:
            item = ags.get_line_item(registration_id, url)
        except ags.LineItemGoneError:
            continue
        if ags.owned(item):
            owned.append(item)
    return owned


_NO_COLUMN = (
    "Career Credit has no gradebook column of its own in this course, and the LMS did not let "
    "it create one."
)
_NO_COLUMN_HINT = (
    "Add the 'Micro-internship credit' item through the LMS's external-tool picker (Deep "
    "Linking), or ask your LMS administrator to enable Assignment and Grade Services for "
    "Career Credit."
)


def resolve_column(ctx: LaunchContext) -> ResolvedColumn:
    """The column credit goes to, checked against the LMS: the remembered one while it is
    still there and still the tool's; else the first of the tool's own columns; else a new one
    created through AGS. Call first in a request: it ends the request's transaction before it
    waits on the LMS (nothing of it is kept), then remembers the column on the policy (flush
    only: the caller's commit keeps it with the decision, a refusal's rollback drops it)."""
    course_id = _require_course(ctx)
    policy = db.session.scalar(
        select(CreditPolicy).where(
            CreditPolicy.tenant_id == ctx.tenant_id, CreditPolicy.course_id == course_id
        )
    )
    remembered = policy.lineitem_url if policy else None
    old_label = (policy.lineitem_label if policy else "") or LINE_ITEM_LABEL
    container = ctx.ags_lineitems_url or (policy.lineitems_url if policy else None)
    may_create = bool(ctx.ags_lineitems_url) and ags.SCOPE_LINEITEM in ctx.ags_scopes
    maximum = policy.score_maximum if policy else float(CREDIT_SCORE_MAXIMUM)
    others = policy.lineitem_others if policy else 0
    candidates = _launch_candidates(ctx, course_id)
    if not remembered and not container and not candidates:
        raise PolicyViolationError(_NO_COLUMN, hint=_NO_COLUMN_HINT)
    db.session.rollback()  # no transaction waits on the network (a refusal writes nothing)
    news: list[str] = []
    try:
        gone = False
        item = None
        if remembered:
            try:
                item = ags.get_line_item(ctx.registration_id, remembered)
            except ags.LineItemGoneError:
                gone = True
            else:
                item = item if ags.owned(item) else None
        if item is None:
            owned = _owned_columns(ctx.registration_id, container, candidates)
            if owned:
                item, others = owned[0], len(owned) - 1
                if others:
                    news.append(
                        f"This course has {others + 1} '{LINE_ITEM_LABEL}' columns (the credit "
                        f"item was placed more than once). Career Credit grades only the first "
                        f"one placed, '{item.label}'; hide or delete the others in the gradebook."
                    )
            elif not container or not may_create:
                raise PolicyViolationError(_NO_COLUMN, hint=_NO_COLUMN_HINT)
            else:
                item = ags.find_or_create_line_item(
                    ctx.registration_id,
                    container,
                    label=LINE_ITEM_LABEL,
                    score_maximum=maximum,
                    resource_id=ags.OWN_RESOURCE_ID,
                    tag=ags.OWN_TAG,
                )
                others = 0
                news.append(
                    f"Career Credit created the gradebook column '{item.label}' "
                    f"(out of {item.score_maximum:g}) for credit grades."
                )
            if gone:
                news.insert(
                    0,
                    f"The credit column '{old_label}' was deleted from the gradebook; "
                    "grades now go to the column named below.",
                )
    except ConnectorError as exc:
        if isinstance(exc, PolicyViolationError):
            raise
        raise ConnectorError(
            f"The LMS did not answer when Career Credit looked for its gradebook column: "
            f"{exc.message} Nothing was saved.",
            hint="Try again in a minute.",
        ) from exc
    _remember(ctx, course_id, item, others, container, replaced=remembered)
    return ResolvedColumn(item.id, item.label, item.score_maximum, tuple(news))


def _remember(
    ctx: LaunchContext,
    course_id: int,
    item: ags.LineItem,
    others: int,
    container: str | None,
    *,
    replaced: str | None,
) -> None:
    policy = get_policy(ctx.tenant_id, course_id)
    policy.lineitem_url = item.id
    policy.lineitem_label = item.label[:500]
    policy.lineitem_maximum = item.score_maximum
    policy.lineitems_url = container
    policy.lineitem_registration_id = ctx.registration_id
    policy.lineitem_others = others
    if replaced != item.id:
        audit.record(
            ctx.actor,
            "credit.line_item_linked",
            ctx.tenant_id,
            course_id=course_id,
            lineitem=item.id,
            label=item.label[:200],
            replaced=replaced,
        )
    db.session.flush()


# --- grades sent to a column that is not the tool's -------------------------------------------


@dataclass(frozen=True)
class _Sent:
    award: CreditAward
    lineitem: str
    sent_at: dt.datetime | None


def _sent_elsewhere(tenant_id: int, course_id: int, credit_url: str | None) -> list[_Sent]:
    """Final awards of the course whose grade went (or was queued) to another column than
    ``credit_url``: the outbox rows say where each send went; an award whose rows were purged
    counts by its own target."""
    awards = {
        a.id: a
        for a in db.session.scalars(
            select(CreditAward).where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id == course_id,
                CreditAward.status == "final",
            )
        )
    }
    if not awards:
        return []
    sources = {f"credit_award:{i}": i for i in awards}
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.kind == ags.KIND_SCORE,
            OutboxMessage.source.in_(list(sources)),
        )
    ).all()
    found: dict[tuple[int, str], _Sent] = {}
    seen: set[int] = set()
    for row in rows:
        award = awards[sources[row.source]]
        seen.add(award.id)
        url = str((row.payload or {}).get("lineitem") or "")
        if url and url != credit_url and row.status == jobs.SENT:
            found[(award.id, url)] = _Sent(award, url, row.updated_at)
    for award in awards.values():
        if award.id not in seen and award.lineitem_url and award.lineitem_url != credit_url:
            found.setdefault((award.id, award.lineitem_url), _Sent(award, award.lineitem_url, None))
    return list(found.values())


def find_misposted(tenant_id: int, course_id: int, actor: str) -> int:
    """Check the course's sent credit grades against the LMS and record each one that went to
    a column the tool does not own; returns how many new ones were found. Reads each distinct
    column once; commits before it waits on the LMS (the caller commits what it records)."""
    policy = get_policy(tenant_id, course_id)
    known = set(
        db.session.execute(
            select(MispostedGrade.award_id, MispostedGrade.lineitem_url).where(
                MispostedGrade.tenant_id == tenant_id, MispostedGrade.course_id == course_id
            )
        ).all()
    )
    suspects = [
        s
        for s in _sent_elsewhere(tenant_id, course_id, policy.lineitem_url)
        if (s.award.id, s.lineitem) not in known
    ]
    commit_now()  # network boundary: no write transaction may wait on the LMS
    columns: dict[str, ags.LineItem | None] = {}
    for s in suspects:
        if s.lineitem in columns or s.award.registration_id is None:
            continue
        try:
            columns[s.lineitem] = ags.get_line_item(s.award.registration_id, s.lineitem)
        except ags.LineItemGoneError:
            columns[s.lineitem] = None
        except ConnectorError as exc:
            raise ConnectorError(
                f"The LMS did not answer while Career Credit checked the grades it sent: "
                f"{exc.message} Nothing was recorded.",
                hint="Try again in a minute.",
            ) from exc
    new = 0
    for s in suspects:
        if s.lineitem not in columns:
            continue
        item = columns[s.lineitem]
        if item is not None and ags.owned(item):
            continue  # another of the tool's own columns: nothing was overwritten
        db.session.add(
            MispostedGrade(
                tenant_id=tenant_id,
                course_id=course_id,
                award_id=s.award.id,
                student_id=s.award.student_id,
                lineitem_url=s.lineitem,
                column_label=(item.label if item else "")[:500],
                column_maximum=item.score_maximum if item else None,
                kind="foreign" if item is not None else "deleted",
                grade_label=s.award.grade_label,
                sent_at=s.sent_at,
                found_by=actor,
            )
        )
        new += 1
    if new:
        audit.record(actor, "credit.misposted_found", tenant_id, course_id=course_id, count=new)
    db.session.flush()
    return new


def misposted(tenant_id: int, course_id: int | None = None) -> list[MispostedGrade]:
    """Recorded grades sent to a column that is not the tool's (a course's, or the tenant's),
    the ones still to re-post first."""
    q = select(MispostedGrade).where(MispostedGrade.tenant_id == tenant_id)
    if course_id is not None:
        q = q.where(MispostedGrade.course_id == course_id)
    return list(
        db.session.scalars(
            q.order_by(
                MispostedGrade.reposted_at.is_not(None),
                MispostedGrade.course_id,
                MispostedGrade.student_id,
                MispostedGrade.id,
            )
        )
    )


def open_misposted_count(tenant_id: int, course_id: int | None = None) -> int:
    """How many recorded misposted grades are not re-posted yet."""
    return sum(1 for m in misposted(tenant_id, course_id) if m.reposted_at is None)


def repost_misposted(tenant_id: int, course_id: int, actor: str) -> int:
    """Queue each affected student's current grade for the course's credit column (checked
    by ``resolve_column`` first); returns how many grades were queued. Students whose current
    award already went to the credit column need nothing more."""
    policy = get_policy(tenant_id, course_id)
    if not policy.lineitem_url:
        raise PolicyViolationError(
            "The course has no credit column yet.",
            hint="An instructor of the course opens this page from the course to link it.",
        )
    todo = [m for m in misposted(tenant_id, course_id) if m.reposted_at is None]
    queued = 0
    now = utcnow()
    for student_id in dict.fromkeys(m.student_id for m in todo):
        current = db.session.scalar(
            select(CreditAward).where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id == course_id,
                CreditAward.student_id == student_id,
                CreditAward.superseded_at.is_(None),
                CreditAward.status == "final",
            )
        )
        student = db.session.get(User, student_id)
        registration_id = (
            current.registration_id if current else None
        ) or policy.lineitem_registration_id
        if current is not None and student is not None and registration_id is not None:
            already = current.lineitem_url == policy.lineitem_url and not any(
                m.award_id == current.id for m in todo
            )
            if not already:
                ags.enqueue_score(
                    tenant_id=tenant_id,
                    registration_id=registration_id,
                    lineitem=policy.lineitem_url,
                    user_id=student.sub,
                    score_given=current.score_given,
                    score_maximum=current.score_maximum,
                    timestamp=current.score_timestamp,
                    comment=current.comment,
                    source=f"credit_award:{current.id}",
                )
                queued += 1
        for m in todo:
            if m.student_id == student_id:
                m.reposted_at, m.reposted_to, m.reposted_by = now, policy.lineitem_url, actor
    if todo:
        audit.record(
            actor, "credit.misposted_reposted", tenant_id, course_id=course_id, queued=queued
        )
    db.session.flush()
    return queued


def find_misposted_everywhere(tenant_id: int, actor: str) -> int:
    """``find_misposted`` for every course of the tenant that has final awards."""
    course_ids = list(
        db.session.scalars(
            select(CreditAward.course_id)
            .where(CreditAward.tenant_id == tenant_id, CreditAward.status == "final")
            .distinct()
            .order_by(CreditAward.course_id)
        )
    )
    return sum(find_misposted(tenant_id, course_id, actor) for course_id in course_ids)
