"""Grades sent to a gradebook column that is not the tool's, and their repair.

An earlier version took the newest launch's line item, so a grade could land in another
assignment's column (a quiz) and replace the student's score there. ``unchecked_sends`` reads
the course's sent grades (the outbox rows and the awards' own target) and ``record_misposted``
records those whose column the LMS says is not the tool's; ``repost_misposted`` sends each
student's current grade to the credit column. The overwritten scores themselves cannot be
restored by the tool: the page lists the students and columns so that the instructor can
correct those cells.

Reading the LMS is a network boundary: the caller commits between ``unchecked_sends`` and
``record_misposted`` (a view with ``commit_now()``, the CLI with its own commit), course by
course, so that no write transaction waits on the LMS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from lti_tool import jobs
from lti_tool.actor import Actor
from lti_tool.errors import ConnectorError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.lti import ags
from lti_tool.models import User, utcnow
from lti_tool.services import audit

from ..models import CreditAward, MispostedGrade
from .policy import get_policy


@dataclass(frozen=True)
class SentGrade:
    """A final award's grade sent (or queued) to a column, and when it was sent."""

    award: CreditAward
    lineitem: str
    sent_at: dt.datetime | None


def _sent_elsewhere(tenant_id: int, course_id: int, credit_url: str | None) -> list[SentGrade]:
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
    found: dict[tuple[int, str], SentGrade] = {}
    seen: set[int] = set()
    for row in rows:
        award = awards[sources[row.source]]
        seen.add(award.id)
        url = str((row.payload or {}).get("lineitem") or "")
        if url and url != credit_url and row.status == jobs.SENT:
            found[(award.id, url)] = SentGrade(award, url, row.updated_at)
    for award in awards.values():
        if award.id not in seen and award.lineitem_url and award.lineitem_url != credit_url:
            found.setdefault(
                (award.id, award.lineitem_url), SentGrade(award, award.lineitem_url, None)
            )
    return list(found.values())


def courses_with_final_awards(tenant_id: int) -> list[int]:
    """The tenant's courses with final awards, the ones ``unchecked_sends`` can find grades in."""
    return list(
        db.session.scalars(
            select(CreditAward.course_id)
            .where(CreditAward.tenant_id == tenant_id, CreditAward.status == "final")
            .distinct()
            .order_by(CreditAward.course_id)
        )
    )


def unchecked_sends(tenant_id: int, course_id: int) -> list[SentGrade]:
    """The course's grades sent to another column than its credit column and not recorded
    yet (the database only; the LMS is read by ``record_misposted``, after the caller's
    commit)."""
    policy = get_policy(tenant_id, course_id)
    known = set(
        db.session.execute(
            select(MispostedGrade.award_id, MispostedGrade.lineitem_url).where(
                MispostedGrade.tenant_id == tenant_id, MispostedGrade.course_id == course_id
            )
        ).all()
    )
    return [
        s
        for s in _sent_elsewhere(tenant_id, course_id, policy.lineitem_url)
        if (s.award.id, s.lineitem) not in known
    ]


def record_misposted(actor: Actor, course_id: int, sends: list[SentGrade]) -> int:
    """Check ``sends`` against the LMS and record each grade that went to a column the tool
    does not own; returns how many were recorded. Reads each distinct column once; call it with
    no write transaction open (the caller commits first) and commit what it records (flushed)."""
    tenant_id = actor.tenant
    columns = _read_columns(sends)
    new = 0
    for s in sends:
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
                found_by=actor.name,
            )
        )
        new += 1
    if new:
        audit.record(actor, "credit.misposted_found", course_id=course_id, count=new)
    db.session.flush()
    return new


def _read_columns(sends: list[SentGrade]) -> dict[str, ags.LineItem | None]:
    """Each distinct column of ``sends`` as the LMS has it now (None: deleted)."""
    columns: dict[str, ags.LineItem | None] = {}
    for s in sends:
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
    return columns


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


def repost_misposted(actor: Actor, course_id: int) -> int:
    """Queue each affected student's current grade for the course's credit column (checked
    by ``resolve_column`` first); returns how many grades were queued. Students whose current
    award already went to the credit column need nothing more."""
    tenant_id = actor.tenant
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
                m.reposted_at, m.reposted_to, m.reposted_by = now, policy.lineitem_url, actor.name
    if todo:
        audit.record(actor, "credit.misposted_reposted", course_id=course_id, queued=queued)
    db.session.flush()
    return queued
