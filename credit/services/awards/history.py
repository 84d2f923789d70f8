"""What was decided: a student's awards and decisions in a course, how many awards a course
made lately, and the tenant's overview per course."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, and_, bindparam, func, select

from internships.work.models import EngagementReopening
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import Course

from ...models import CreditAward, CreditDecision


def decided_since(ctx: LaunchContext, since: dt.datetime) -> int:
    """How many awards this course made since ``since``."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(
                CreditAward.tenant_id == ctx.tenant_id,
                CreditAward.course_id == ctx.course_id,
                CreditAward.created_at >= since,
            )
        )
        or 0
    )


@functools.cache
def _history_statement(model: type[CreditAward] | type[CreditDecision]) -> Executable:
    """The student's rows of ``model`` in the course, newest first; built once (the review
    page reads both kinds), a request binds ``tenant_id``, ``course_id`` and ``student_id``."""
    return (
        select(model)
        .where(
            model.tenant_id == bindparam("tenant_id"),
            model.course_id == bindparam("course_id"),
            model.student_id == bindparam("student_id"),
        )
        .order_by(model.id.desc())
    )


def award_history(tenant_id: int, course_id: int, student_id: int) -> list[CreditAward]:
    """Every award for the student in the course, newest first (corrections included)."""
    params = {"tenant_id": tenant_id, "course_id": course_id, "student_id": student_id}
    return list(db.session.scalars(_history_statement(CreditAward), params))


def decision_history(tenant_id: int, course_id: int, student_id: int) -> list[CreditDecision]:
    """Every decision other than an award for the student in the course, newest first."""
    params = {"tenant_id": tenant_id, "course_id": course_id, "student_id": student_id}
    return list(db.session.scalars(_history_statement(CreditDecision), params))


@functools.cache
def _decisions_reopenings_statement() -> Executable:
    """``decision_history``'s rows, each request for changes with the parts it reopened (in the
    order they were made): one statement, built once (the review page shows both)."""
    tenant_id: Any = bindparam("tenant_id")
    reopened = and_(
        EngagementReopening.request_id == CreditDecision.id,
        EngagementReopening.tenant_id == tenant_id,
    )
    return (
        select(CreditDecision, EngagementReopening)
        .outerjoin(EngagementReopening, reopened)
        .where(
            CreditDecision.tenant_id == tenant_id,
            CreditDecision.course_id == bindparam("course_id"),
            CreditDecision.student_id == bindparam("student_id"),
        )
        .order_by(CreditDecision.id.desc(), EngagementReopening.id)
    )


def decisions_and_reopenings(
    tenant_id: int, course_id: int, student_id: int
) -> tuple[list[CreditDecision], dict[int, list[EngagementReopening]]]:
    """``decision_history`` and what each request for changes reopened (by the request's id,
    as ``reopenings.of_requests`` gives them), in one statement."""
    params = {"tenant_id": tenant_id, "course_id": course_id, "student_id": student_id}
    decisions: dict[int, CreditDecision] = {}
    reopened: dict[int, list[EngagementReopening]] = {}
    for decision, row in db.session.execute(_decisions_reopenings_statement(), params):
        decisions.setdefault(decision.id, decision)
        found = reopened.setdefault(decision.id, [])
        if row is not None:
            found.append(row)
    return list(decisions.values()), reopened


@dataclass(frozen=True)
class CourseAwards:
    course_id: int
    title: str
    term: str
    students: int
    credits: int
    awaiting: int


def tenant_overview(tenant_id: int) -> list[CourseAwards]:
    """Per course of the tenant: students awarded, credits, awards awaiting approval."""
    current = (CreditAward.superseded_at.is_(None), CreditAward.status != "declined")
    rows = db.session.execute(
        select(
            Course.id,
            Course.title,
            Course.term_name,
            func.count().filter(CreditAward.status == "final"),
            func.coalesce(func.sum(CreditAward.credits).filter(CreditAward.status == "final"), 0),
            func.count().filter(CreditAward.status == "awaiting_approval"),
        )
        .join(CreditAward, CreditAward.course_id == Course.id)
        .where(Course.tenant_id == tenant_id, CreditAward.tenant_id == tenant_id, *current)
        .group_by(Course.id, Course.title, Course.term_name)
        .order_by(Course.term_name, Course.title)
    )
    return [
        CourseAwards(cid, t or "", term or "", int(n), int(c), int(w))
        for cid, t, term, n, c, w in rows
    ]
