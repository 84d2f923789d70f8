"""The statements of ``progress``, each built once per process (SQLAlchemy's expression
building was a large share of a progress page's CPU): a page only binds their parameters,
``tenant_id``, ``course_ids`` and, when read for given students, ``student_ids``."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from sqlalchemy import ColumnElement, Executable, and_, bindparam, exists, func, select

from internships.models import Listing
from internships.work.models import (
    CompetencyRating,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from lti_tool.models import Course, Enrolment, User

from ..models import CreditAward, CreditDecision, CreditPolicy
from .standing import DefaultRules


@functools.cache
def students_statement(by_students: bool) -> Executable:
    """The courses' enrolled students (id, name, email, sub, course), or (``by_students``)
    the tenant's people of ``student_ids`` (id, name, email, sub)."""
    people = select(User.id, User.name, User.email, User.sub).where(
        User.tenant_id == bindparam("tenant_id")
    )
    if by_students:
        return people.where(User.id.in_(bindparam("student_ids", expanding=True)))
    return (
        people.add_columns(Enrolment.course_id)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            Enrolment.course_id.in_(bindparam("course_ids", expanding=True)),
            Enrolment.role == "student",
        )
    )


def engagement_filter(by_students: bool) -> ColumnElement[bool]:
    """The engagements that count toward the courses (every status but cancelled), with the
    parameters ``tenant_id``, ``course_ids`` and (``by_students``) ``student_ids``."""
    eng_filter = and_(
        Engagement.tenant_id == bindparam("tenant_id"),
        Engagement.course_id.in_(bindparam("course_ids", expanding=True)),
        Engagement.status != "cancelled",
    )
    if by_students:
        eng_filter = and_(
            eng_filter, Engagement.student_id.in_(bindparam("student_ids", expanding=True))
        )
    return eng_filter


@functools.cache
def engagements_statement(by_students: bool) -> Executable:
    """Each engagement with its listing's title, whether its reflection was submitted, whether
    (with its lowest rating) the supervisor evaluated it, and its minutes by status (one
    statement, not one more for the hours). Built once: a page view only binds its parameters."""
    reflected = (
        select(Reflection.id)
        .where(Reflection.engagement_id == Engagement.id, Reflection.submitted_at.is_not(None))
        .exists()
    )
    evaluated = (
        select(SupervisorEvaluation.id)
        .where(SupervisorEvaluation.engagement_id == Engagement.id)
        .exists()
    )
    lowest = (
        select(func.min(CompetencyRating.level))
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .where(SupervisorEvaluation.engagement_id == Engagement.id)
        .scalar_subquery()
    )
    hours = hours_subquery(by_students)
    return (
        select(
            Engagement.id,
            Engagement.student_id,
            Engagement.course_id,
            Engagement.status,
            Engagement.planned_hours,
            Engagement.acknowledged_at,
            Listing.title,
            reflected,
            evaluated,
            lowest,
            hours.c.approved,
            hours.c.late,
            hours.c.pending,
            hours.c.queried,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .outerjoin(hours, hours.c.engagement_id == Engagement.id)
        .where(engagement_filter(by_students))
        .order_by(Engagement.id)
    )


def hours_subquery(by_students: bool) -> Any:
    """Minutes per engagement: confirmed (and late: confirmed after the course policy's
    deadline), pending and queried (any other status). A course without a stored policy has
    no deadline (the defaults set none)."""
    confirmed = HourLog.status == "confirmed"
    return (
        select(
            HourLog.engagement_id,
            func.sum(HourLog.minutes).filter(confirmed).label("approved"),
            func.sum(HourLog.minutes)
            .filter(confirmed, HourLog.work_date > CreditPolicy.deadline)
            .label("late"),
            func.sum(HourLog.minutes).filter(HourLog.status == "pending").label("pending"),
            func.sum(HourLog.minutes)
            .filter(HourLog.status.not_in(("confirmed", "pending")))
            .label("queried"),
        )
        .join(Engagement, Engagement.id == HourLog.engagement_id)
        .outerjoin(
            CreditPolicy,
            and_(
                CreditPolicy.tenant_id == Engagement.tenant_id,
                CreditPolicy.course_id == Engagement.course_id,
            ),
        )
        .where(engagement_filter(by_students))
        .group_by(HourLog.engagement_id)
        .subquery()
    )


@functools.cache
def awards_statement(by_students: bool) -> Executable:
    """The courses' current awards (not superseded, not declined), built once: a page binds
    ``tenant_id``, ``course_ids`` and (``by_students``) ``student_ids``."""
    where = [
        CreditAward.tenant_id == bindparam("tenant_id"),
        CreditAward.course_id.in_(bindparam("course_ids", expanding=True)),
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    ]
    if by_students:
        where.append(CreditAward.student_id.in_(bindparam("student_ids", expanding=True)))
    return select(CreditAward).where(*where)


@functools.cache
def decisions_statement(by_students: bool) -> Executable:
    """The courses' latest decision per (student, course), built once (parameters as
    ``awards_statement``'s)."""
    where = [
        CreditDecision.tenant_id == bindparam("tenant_id"),
        CreditDecision.course_id.in_(bindparam("course_ids", expanding=True)),
    ]
    if by_students:
        where.append(CreditDecision.student_id.in_(bindparam("student_ids", expanding=True)))
    latest = (
        select(func.max(CreditDecision.id).label("last_id"))
        .where(*where)
        .group_by(CreditDecision.student_id, CreditDecision.course_id)
        .subquery()
    )
    return select(CreditDecision).join(latest, latest.c.last_id == CreditDecision.id)


# the stored policy's rules (``DefaultRules``' fields, in order): what the student's figures
# and the home read of it, not the whole row (its line item, who changed it, when)
RULE_COLUMNS = tuple(getattr(CreditPolicy, f.name) for f in dataclasses.fields(DefaultRules))


@functools.cache
def their_courses_statement() -> Executable:
    """A student's courses (where they are a student or have work counted) with their titles,
    each row with the student's name, email and sub, the course's stored policy's rules
    (``RULE_COLUMNS``: NULL where none is stored), the student's
    current award there and their latest decision there (None where there is none), and
    whether they have work there that counts (a new student has none: their progress needs no
    engagements statement): the progress's person, policies and decisions come with the
    courses, not from four more statements. Built once (parameters ``tenant_id``,
    ``student_id``)."""
    tenant_id: Any = bindparam("tenant_id")
    student_id: Any = bindparam("student_id")
    latest_decision = (
        select(func.max(CreditDecision.id))
        .where(
            CreditDecision.tenant_id == tenant_id,
            CreditDecision.course_id == Course.id,
            CreditDecision.student_id == student_id,
        )
        .correlate(Course)
        .scalar_subquery()
    )
    current_award = and_(  # at most one: a unique index holds the current award
        CreditAward.tenant_id == tenant_id,
        CreditAward.course_id == Course.id,
        CreditAward.student_id == student_id,
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    )
    return (
        select(
            Course.id,
            Course.title,
            User.name,
            User.email,
            User.sub,
            *RULE_COLUMNS,
            CreditAward,
            CreditDecision,
            exists().where(  # engagement_filter's, for this course and student
                Engagement.tenant_id == tenant_id,
                Engagement.course_id == Course.id,
                Engagement.student_id == student_id,
                Engagement.status != "cancelled",
            ),
        )
        .select_from(Course)
        .join(User, and_(User.id == student_id, User.tenant_id == tenant_id))
        .outerjoin(
            CreditPolicy,
            and_(CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == Course.id),
        )
        .outerjoin(CreditAward, current_award)
        .outerjoin(CreditDecision, CreditDecision.id == latest_decision)
        .where(Course.tenant_id == tenant_id, Course.id.in_(_their_course_ids()))
        .order_by(Course.id)
    )


def _their_course_ids() -> Any:
    """The ids of the courses where the student of ``student_id`` is a student or has work
    counted (in the tenant of ``tenant_id``)."""
    tenant_id: Any = bindparam("tenant_id")
    student_id: Any = bindparam("student_id")
    theirs = (
        select(Enrolment.course_id)
        .where(
            Enrolment.tenant_id == tenant_id,
            Enrolment.user_id == student_id,
            Enrolment.role == "student",
        )
        .union(
            select(Engagement.course_id).where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                Engagement.course_id.is_not(None),
            )
        )
        .subquery()
    )
    return select(theirs.c.course_id)
