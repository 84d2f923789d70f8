"""The evidence on one student's review page: each engagement of theirs counting toward the
course with its listing and employer, its reflection, the supervisor's evaluation with its
ratings, its hour logs and its deliverables. Two statements for all of them (issue 16): the
engagements with their reflections and evaluations (each at most one per engagement, so a
join), then the hour logs and the deliverables of every engagement at once; the engagement
services read the same one engagement and one kind at a time (five statements each).

``student_evidence`` also works each engagement's progress figures (minutes by status, the
agreement, reflection and evaluation, the lowest rating) out of the rows it read, as
``progress`` sums them in SQL: the page does not read the same engagements and hour logs
twice."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, and_, bindparam, false, select
from sqlalchemy.orm import aliased, joinedload, load_only

from internships.models import Employer, Listing
from internships.work.models import (
    Deliverable,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from lti_tool.extensions import db
from lti_tool.models import User

from ..models import CreditAward, CreditDecision
from .standing import EngagementProgress, Rules, StudentProgress, sum_up


@dataclass
class Evidence:
    """One engagement and what the review shows of it, in the engagement services' orders
    (hour logs by day, deliverables oldest first)."""

    engagement: Engagement
    reflection: Reflection | None
    evaluation: SupervisorEvaluation | None
    logs: list[HourLog]
    deliverables: list[Deliverable]


@functools.cache
def _engagements_statement() -> Executable:
    """The engagements of ``student_id`` counting toward ``course_id`` in the tenant of
    ``tenant_id`` (every status but cancelled, as ``progress`` reads them), by id, with their
    listings and employers, reflections and evaluations (with ratings); built once."""
    tenant_id: Any = bindparam("tenant_id")
    return (
        select(Engagement, Reflection, SupervisorEvaluation)
        .outerjoin(
            Reflection,
            and_(Reflection.engagement_id == Engagement.id, Reflection.tenant_id == tenant_id),
        )
        .outerjoin(
            SupervisorEvaluation,
            and_(
                SupervisorEvaluation.engagement_id == Engagement.id,
                SupervisorEvaluation.tenant_id == tenant_id,
            ),
        )
        .options(
            # what the page shows (9 of the engagement's 21 columns, 3 of the reflection's 6)
            load_only(
                Engagement.tenant_id,
                Engagement.listing_id,
                Engagement.student_id,
                Engagement.course_id,
                Engagement.status,
                Engagement.competencies,
                Engagement.planned_hours,
                Engagement.acknowledged_at,
            ),
            load_only(Reflection.answers, Reflection.submitted_at),
            # the page shows the listing's title and its employer's name (of 34 and 10 columns)
            joinedload(Engagement.listing)
            .load_only(Listing.title)
            .joinedload(Listing.employer)
            .load_only(Employer.name),
            joinedload(SupervisorEvaluation.ratings),
        )
        .where(
            Engagement.tenant_id == tenant_id,
            Engagement.course_id == bindparam("course_id"),
            Engagement.student_id == bindparam("student_id"),
            Engagement.status != "cancelled",  # ``progress_statements.engagement_filter``'s
        )
        .order_by(Engagement.id)
    )


@functools.cache
def _handed_statement() -> Executable:
    """The hour logs (by day) and the deliverables (oldest first) of the tenant's engagements
    of ``ids`` in one statement, built once: each kind read alone, then the two joined on
    nothing (a full join ON false is their union: each row one kind's, the other's columns
    null), so one round trip and each kind still read through its own index."""
    tenant_id: Any = bindparam("tenant_id")
    ids: Any = bindparam("ids", expanding=True)
    logs = (
        select(HourLog)
        .where(HourLog.tenant_id == tenant_id, HourLog.engagement_id.in_(ids))
        .subquery()
    )
    deliverables = (
        select(Deliverable)
        .where(Deliverable.tenant_id == tenant_id, Deliverable.engagement_id.in_(ids))
        .subquery()
    )
    log, deliverable = aliased(HourLog, logs), aliased(Deliverable, deliverables)
    return (
        select(log, deliverable)
        .select_from(logs)
        .join(deliverables, false(), full=True)
        .options(  # what the page and its exchanges show (7 of 12 columns, 7 of 11)
            load_only(
                log.engagement_id,
                log.work_date,
                log.minutes,
                log.description,
                log.status,
                log.created_at,
            ),
            load_only(
                deliverable.engagement_id,
                deliverable.title,
                deliverable.url,
                deliverable.filename,
                deliverable.revises_id,
                deliverable.created_at,
            ),
        )
        # one kind's rows tie on the other's null columns: each kind keeps its own order
        .order_by(log.work_date, log.id, deliverable.created_at, deliverable.id)
    )


def student_evidence(
    tenant_id: int, course_id: int, student_id: int, deadline: dt.date | None
) -> list[tuple[Evidence, EngagementProgress]]:
    """The evidence of the student's engagements counting toward the course (every status but
    cancelled), by id, each with its progress figures under a policy with ``deadline`` (the
    ``EngagementProgress`` ``progress`` reads for them, worked out of the rows read here): two
    statements, one without engagements."""
    params = {"tenant_id": tenant_id, "course_id": course_id, "student_id": student_id}
    rows = db.session.execute(_engagements_statement(), params).unique().all()
    found = {
        e.id: Evidence(e, reflection, evaluation, [], []) for e, reflection, evaluation in rows
    }
    if found:
        handed = {"tenant_id": tenant_id, "ids": list(found)}
        for log, deliverable in db.session.execute(_handed_statement(), handed):
            if log is not None:
                found[log.engagement_id].logs.append(log)
            if deliverable is not None:
                found[deliverable.engagement_id].deliverables.append(deliverable)
    return [(item, _progress_of(item, deadline)) for item in found.values()]


def review_progress(
    student: User,
    course_id: int,
    policy: Rules,
    history: tuple[Sequence[CreditAward], Sequence[CreditDecision]],
) -> tuple[StudentProgress, list[tuple[Evidence, EngagementProgress]]]:
    """The student's progress in the course under ``policy`` (``progress.student_progress``'s
    figures) and the evidence it was worked out from (``student_evidence``), from ``history``,
    their awards and decisions there newest first (``award_history``, ``decision_history``)."""
    found = student_evidence(student.tenant_id, course_id, student.id, policy.deadline)
    p = StudentProgress(student.id, course_id, student.name or "", student.email or "", student.sub)
    p.engagements = [progress for _, progress in found]
    awards, decisions = history
    current = next((a for a in awards if a.superseded_at is None and a.status != "declined"), None)
    sum_up(p, policy, current, decisions[0] if decisions else None)
    return p, found


def _progress_of(item: Evidence, deadline: dt.date | None) -> EngagementProgress:
    """The engagement's progress figures as ``progress_statements.engagements_statement``
    gives them: minutes confirmed (late: confirmed for a day after ``deadline``), pending and
    queried (any other status); a submitted reflection; an evaluation and its lowest rating."""
    approved = late = pending = queried = 0
    for log in item.logs:
        if log.status == "confirmed":
            approved += log.minutes
            if deadline is not None and log.work_date > deadline:
                late += log.minutes
        elif log.status == "pending":
            pending += log.minutes
        else:
            queried += log.minutes
    e, reflection, evaluation = item.engagement, item.reflection, item.evaluation
    levels = [r.level for r in evaluation.ratings if r.level is not None] if evaluation else []
    return EngagementProgress(
        e.id,
        e.listing.title,
        "",
        e.status,
        e.planned_hours or 0,
        approved_minutes=approved,
        pending_minutes=pending,
        queried_minutes=queried,
        late_minutes=late,
        agreement=e.acknowledged_at is not None,
        reflection=reflection is not None and reflection.submitted_at is not None,
        evaluation=evaluation is not None,
        lowest_rating=min(levels) if levels else None,
    )
