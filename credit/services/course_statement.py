"""The statement that reads a course roster's people for ``progress.course_progress``: each
student of the courses (enrolled, or with work counted there but no enrolment yet) with their
current award and their latest decision there, in one statement where four were read before
(the students, the students with work but no enrolment, the awards, the decisions)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Executable, and_, bindparam, func, select
from sqlalchemy.orm import join

from internships.work.models import Engagement
from lti_tool.models import Enrolment, User

from ..models import CreditAward, CreditDecision
from .progress_statements import engagement_filter


@functools.cache
def course_people_statement() -> Executable:
    """Rows of (student id, name, email, sub, course id, current award or None, latest decision
    or None), one per (student, course) pair of the courses of ``course_ids`` in the tenant of
    ``tenant_id``: the courses' enrolled students and the tenant's people with engagements
    counted there (every status but cancelled). Built once: a page only binds its parameters."""
    tenant_id: Any = bindparam("tenant_id")
    course_ids: Any = bindparam("course_ids", expanding=True)
    pairs = (
        select(Enrolment.user_id.label("student_id"), Enrolment.course_id.label("course_id"))
        .where(Enrolment.course_id.in_(course_ids), Enrolment.role == "student")
        .union(select(Engagement.student_id, Engagement.course_id).where(engagement_filter(False)))
        .subquery()
    )
    latest = (
        select(
            CreditDecision.student_id,
            CreditDecision.course_id,
            func.max(CreditDecision.id).label("last_id"),
        )
        .where(CreditDecision.tenant_id == tenant_id, CreditDecision.course_id.in_(course_ids))
        .group_by(CreditDecision.student_id, CreditDecision.course_id)
        .subquery()
    )
    current_award = and_(  # at most one: a unique index holds the current award
        CreditAward.tenant_id == tenant_id,
        CreditAward.course_id == pairs.c.course_id,
        CreditAward.student_id == pairs.c.student_id,
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    )
    people = (
        join(User, pairs, pairs.c.student_id == User.id)
        .outerjoin(CreditAward, current_award)
        .outerjoin(
            latest,
            and_(latest.c.student_id == User.id, latest.c.course_id == pairs.c.course_id),
        )
        .outerjoin(CreditDecision, CreditDecision.id == latest.c.last_id)
    )
    return (
        select(User.id, User.name, User.email, User.sub, pairs.c.course_id)
        .add_columns(CreditAward, CreditDecision)
        .select_from(people)
        .where(User.tenant_id == tenant_id)
    )
