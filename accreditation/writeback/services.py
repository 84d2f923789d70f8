"""Queueing the write-back of faculty rubric ratings, in the transaction that records them.

Only ratings of course outcomes read from the LMS go back (career competencies and program
outcomes have no place there). Canvas: one ``canvas.rubric_assessment`` per student and course
carrying the newest level of every rated course outcome (a Canvas rubric assessment is whole:
sending one criterion would blank the others), coalesced per student and course. Moodle: one
``moodle.grade_competency`` per student and competency, coalesced per student and competency.
Whatever cannot be sent (no gradebook column, no Canvas user id) is said, never silently lost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accreditation.evidence.models import Evidence
from accreditation.frameworks.lms import launch_claims
from accreditation.frameworks.models import Framework, FrameworkItem
from credit.models import CreditPolicy
from internships.work.models import Engagement
from lti_tool.context import CONTEXT, CUSTOM, LaunchContext
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage, coalesce_key, enqueue
from lti_tool.models import Launch, User

KIND_CANVAS = "canvas.rubric_assessment"
KIND_MOODLE = "moodle.grade_competency"
KINDS = (KIND_CANVAS, KIND_MOODLE)


@dataclass
class Queued:
    """What the write-back queued, and what it could not (said to the faculty member)."""

    messages: list[OutboxMessage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def source_ref(course_id: int, student_id: int) -> str:
    """The outbox ``source`` of a student's outcome write-backs in a course."""
    return f"outcomes:{course_id}:{student_id}"


def _lms_items(tenant_id: int, item_ids: set[int]) -> dict[int, FrameworkItem]:
    """Those of the items that are course outcomes read from an LMS."""
    if not item_ids:
        return {}
    return {
        item.id: item
        for item in db.session.scalars(
            select(FrameworkItem)
            .join(Framework, Framework.id == FrameworkItem.framework_id)
            .where(
                FrameworkItem.tenant_id == tenant_id,
                FrameworkItem.id.in_(item_ids),
                Framework.kind == "course",
                Framework.source == "lms",
            )
            .options(selectinload(FrameworkItem.framework), selectinload(FrameworkItem.versions))
        )
    }


def _canvas_user_id(tenant_id: int, student_id: int) -> str | None:
    """The student's Canvas user id, from the ``canvas_user_id`` custom field
    (``$Canvas.user.id``) of their newest launch that carried it."""
    launches = db.session.scalars(
        select(Launch.message)
        .where(Launch.tenant_id == tenant_id, Launch.user_id == student_id)
        .order_by(Launch.created_at.desc())
        .limit(20)
    )
    for message in launches:
        value = str(((message or {}).get(CUSTOM) or {}).get("canvas_user_id") or "")
        if value.isdigit():
            return value
    return None


def _credit_line_item(tenant_id: int, course_id: int) -> str | None:
    """The course's credit column, as the credit module chose and checked it (never a
    launch's line item: that may be another assignment's column)."""
    return db.session.scalar(
        select(CreditPolicy.lineitem_url).where(
            CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == course_id
        )
    )


def _queue_canvas(
    ctx: LaunchContext, engagement: Engagement, items: dict[int, FrameworkItem], out: Queued
) -> None:
    course_id = int(engagement.course_id or 0)  # the launch's course (checked by the caller)
    custom = launch_claims(ctx).get(CUSTOM) or {}
    canvas_course = str(custom.get("canvas_course_id") or "")
    lineitem = _credit_line_item(ctx.tenant_id, course_id)
    canvas_user = _canvas_user_id(ctx.tenant_id, engagement.student_id)
    missing = (
        "Canvas did not say which course this is (the canvas_course_id custom field)"
        if not canvas_course.isdigit()
        else "the course has no credit column in Canvas's gradebook yet"
        if not lineitem
        else "Canvas has not told Career Credit the student's Canvas id (the canvas_user_id "
        "custom field, $Canvas.user.id)"
        if canvas_user is None
        else ""
    )
    if missing:
        out.notes.append(f"The outcome ratings were saved but not sent to Canvas: {missing}.")
        return
    criteria = _canvas_criteria(ctx.tenant_id, engagement.student_id, course_id)
    if not criteria:
        return
    payload: dict[str, Any] = {
        "course_id": course_id,
        "canvas_course_id": canvas_course,
        "lineitem": lineitem,
        "canvas_user_id": canvas_user,
        "rater_user_id": ctx.user_id,
        "engagement_id": engagement.id,
        "criteria": criteria,
    }
    out.messages.append(_enqueue(ctx, KIND_CANVAS, course_id, engagement.student_id, payload))


def _enqueue(
    ctx: LaunchContext,
    kind: str,
    course_id: int,
    student_id: int,
    payload: dict[str, Any],
    *key: str,
) -> OutboxMessage:
    """Queue a write-back of the student's ratings in the course; a later one of the same kind,
    course, student (and ``key``) replaces it while it waits."""
    return enqueue(
        tenant_id=ctx.tenant_id,
        registration_id=ctx.registration_id,
        kind=kind,
        payload=payload,
        source=source_ref(course_id, student_id),
        coalesce=coalesce_key(kind, str(course_id), str(student_id), *key),
    )


def _canvas_criteria(tenant_id: int, student_id: int, course_id: int) -> list[dict[str, Any]]:
    """The newest rated level of every Canvas course outcome of this student in this course,
    as rubric criteria."""
    rated = db.session.scalars(
        select(Evidence)
        .where(
            Evidence.tenant_id == tenant_id,
            Evidence.student_id == student_id,
            Evidence.course_id == course_id,
            Evidence.method == "faculty_rubric",
        )
        .order_by(Evidence.observed_at, Evidence.id)
    ).all()
    all_items = _lms_items(tenant_id, {e.item_id for e in rated})
    latest: dict[int, Evidence] = {}
    for e in rated:
        item = all_items.get(e.item_id)
        if item is not None and item.framework.creator == "Canvas":
            latest[e.item_id] = e
    return [
        {
            "item": all_items[item_id].identifier,
            "name": all_items[item_id].current.name,
            "level": e.level,
            "comment": e.comment,
        }
        for item_id, e in sorted(latest.items())
        if e.level is not None
    ]


def _queue_moodle(
    ctx: LaunchContext,
    engagement: Engagement,
    changed: list[tuple[Evidence, FrameworkItem]],
    out: Queued,
) -> None:
    course_id = int(engagement.course_id or 0)
    context = launch_claims(ctx).get(CONTEXT) or {}
    moodle_course = str(context.get("id") or "")
    student = db.session.get(User, engagement.student_id)
    user_id = student.sub if student is not None else ""
    if not moodle_course.isdigit() or not user_id.isdigit():
        out.notes.append(
            "The outcome ratings were saved but not sent to Moodle: this launch did not come "
            "from a Moodle course, or Moodle did not name the student by their Moodle id."
        )
        return
    title = engagement.listing.title if engagement.listing is not None else ""
    for evidence, item in changed:
        if evidence.level is None:
            continue  # "not applicable" has no grade in a Moodle scale
        payload = {
            "course_id": course_id,
            "moodle_course_id": moodle_course,
            "user_id": user_id,
            "item": item.identifier,
            "name": item.current.name,
            "grade": evidence.level,
            "engagement_id": engagement.id,
            "note": f"Career Credit: rated by {evidence.rater} on the micro-internship "
            f"“{title}” (engagement {engagement.id}).",
        }
        out.messages.append(
            _enqueue(ctx, KIND_MOODLE, course_id, engagement.student_id, payload, item.identifier)
        )


def queue_for_ratings(
    ctx: LaunchContext, engagement: Engagement, changed: list[Evidence]
) -> Queued:
    """Queue the write-back of changed faculty rubric ratings of LMS course outcomes (in the
    caller's transaction; flushes)."""
    out = Queued()
    items = _lms_items(ctx.tenant_id, {e.item_id for e in changed})
    by_lms: dict[str, list[tuple[Evidence, FrameworkItem]]] = defaultdict(list)
    for e in changed:
        if e.item_id in items:
            by_lms[items[e.item_id].framework.creator].append((e, items[e.item_id]))
    if by_lms.get("Canvas"):
        _queue_canvas(ctx, engagement, items, out)
    if by_lms.get("Moodle"):
        _queue_moodle(ctx, engagement, by_lms["Moodle"], out)
    return out


def writeback_messages(tenant_id: int, course_id: int, student_id: int) -> list[OutboxMessage]:
    """The write-back messages of a student in a course, newest first (sync status)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.tenant_id == tenant_id,
                OutboxMessage.source == source_ref(course_id, student_id),
                OutboxMessage.kind.in_(KINDS),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(20)
        )
    )


def retry_writeback(ctx: LaunchContext, message_id: int) -> OutboxMessage:
    """Put a failed write-back of the faculty member's course back in the queue; flushes."""
    from lti_tool.errors import NotFoundError
    from lti_tool.jobs import retry

    row = db.session.get(OutboxMessage, message_id)
    if (
        row is None
        or row.tenant_id != ctx.tenant_id
        or row.kind not in KINDS
        or (row.payload or {}).get("course_id") != ctx.course_id
    ):
        raise NotFoundError("There is no such outcome sync in this course.")
    return retry(row.id, tenant_id=ctx.tenant_id)
