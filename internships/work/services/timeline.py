"""Where a student's work stands, for their home (issue 18): the facts of each engagement with
the application counts and the course's caps in one statement, and the engagement as a
timeline from application to grade (the one next step is ``next_step``'s).

Reads only: nothing here changes a row. The credit steps (the instructor's decision, the
gradebook) are the credit domain's; the home adds them from its own panel."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal_column, select, true
from sqlalchemy.orm import aliased

from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.workspace.messages.lists import unread_by_others
from internships.workspace.messages.services import user_key
from internships.workspace.plan.services.calendar import feed_in_use
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.notify.notifications import any_unread

from ..models import (
    Application,
    CourseWorkloadCap,
    Deliverable,
    Engagement,
    EngagementReopening,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from .applications import OPEN_STATUSES
from .caps import Caps, caps_of, course_cap
from .common import week_bounds


@dataclass(frozen=True)
class EngagementFacts:
    """One engagement as the home reads it (minutes of hours by status, this week's too)."""

    id: int
    title: str
    employer: str
    status: str
    course_id: int | None
    planned_hours: int
    acknowledged: bool
    confirmed_minutes: int
    pending_minutes: int
    queried_minutes: int
    week_minutes: int
    deliverables: int
    reflection_started: bool
    reflection_submitted: bool
    evaluated: bool
    reopened: tuple[str, ...]  # the kinds an instructor's request for changes reopened
    weekly_hours: int = 0  # planned, for the workload panel and the "For you" caps
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    unread_messages: int = 0  # by others, for the home's messages panel

    @property
    def logged_minutes(self) -> int:
        return self.confirmed_minutes + self.pending_minutes + self.queried_minutes

    @property
    def hours_done(self) -> bool:
        """Every planned hour logged (or the work handed in already)."""
        if self.status in ("submitted", "completed"):
            return True
        return self.planned_hours > 0 and self.logged_minutes >= self.planned_hours * 60


ZERO: Any = literal_column("0")  # written in, not bound: the statement stays under psycopg's 4,096
# characters (a longer one is parsed again on every execution)


# short names throughout (see ZERO)
_H, _R = aliased(HourLog, name="h"), aliased(EngagementReopening, name="r")
_RF, _V = aliased(Reflection, name="rf"), aliased(SupervisorEvaluation, name="v")


def _minutes(engagement_id: Any, *where: Any) -> Any:
    return (
        select(func.coalesce(func.sum(_H.minutes), ZERO).label("m"))
        .where(_H.engagement_id == engagement_id, *where)
        .scalar_subquery()
    )


def _reopened_kinds(engagement_id: Any, dialect: str) -> Any:
    """The kinds of the engagement's open reopenings, comma-separated (one value per row)."""
    kinds = _R.kind
    joined = (
        func.string_agg(kinds, literal_column("','"))
        if dialect == "postgresql"
        else func.group_concat(kinds)
    )
    return (
        select(joined.label("k"))
        .where(_R.engagement_id == engagement_id, _R.closed_at.is_(None))
        .scalar_subquery()
    )


def _facts_statement(dialect: str) -> Any:
    """The facts of a student's engagements (a request binds ``tenant_id``, ``student_id``,
    ``monday`` and ``sunday``), counted in correlated subqueries."""
    e = aliased(Engagement, name="e")  # short names (see ZERO)
    return (
        select(
            e.id,
            Listing.title,
            Employer.name,
            e.status,
            e.course_id,
            e.planned_hours,
            e.acknowledged_at.is_not(None).label("ak"),
            e.weekly_hours,
            e.start_date,
            e.end_date,
            _minutes(e.id, _H.status == literal_column("'confirmed'")).label("mc"),
            _minutes(e.id, _H.status == literal_column("'pending'")).label("mp"),
            _minutes(e.id, _H.status == literal_column("'queried'")).label("mq"),
            _minutes(e.id, _H.work_date.between(bindparam("monday"), bindparam("sunday"))).label(
                "mw"
            ),
            select(func.count().label("n"))
            .where(Deliverable.engagement_id == e.id)
            .scalar_subquery()
            .label("nd"),
            exists().where(_RF.engagement_id == e.id).label("rs"),
            exists().where(_RF.engagement_id == e.id, _RF.submitted_at.is_not(None)).label("rd"),
            exists().where(_V.engagement_id == e.id).label("ev"),
            _reopened_kinds(e.id, dialect).label("rk"),
            unread_by_others(e.id).label("un"),
            e.created_at,
        )
        .join(Listing, Listing.id == e.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .where(e.tenant_id == bindparam("tenant_id"), e.student_id == bindparam("student_id"))
    )


def _applications(*where: Any) -> Any:
    return (
        select(func.count().label("n"))
        .where(
            Application.tenant_id == bindparam("tenant_id"),
            Application.student_id == bindparam("student_id"),
            *where,
        )
        .scalar_subquery()
    )


FIGURES = 6  # the one row's figures, then its PROFILE columns, then each engagement's facts
_P = aliased(StudentProfile, name="p")
_PROFILE_COLUMNS = (  # program is never NULL in a saved profile
    _P.program,
    _P.class_year,
    _P.work_authorization,
    _P.skills,
    _P.interests,
    _P.career_goals,
    _P.weekly_availability_hours,
)
PROFILE = len(_PROFILE_COLUMNS)


@dataclass(frozen=True)
class ProfileFacts:
    """What the "For you" picks read of a student's saved profile (``StudentProfile``'s
    attributes of the same names), read with the work."""

    program: str
    class_year: str
    work_authorization: str
    skills: list[str]
    interests: str
    career_goals: str
    weekly_availability_hours: int | None


NO_PROFILE = ProfileFacts("", "", "", [], "", "", None)  # as ``StudentProfile.empty``


@functools.cache
def _work_statement(dialect: str) -> Any:
    """The student's work in one statement, built once per dialect (building it cost as much
    as running it): one row of figures (applications, those waiting for a decision, the launch
    course's own caps, the calendar address in use) joined to each engagement's facts and
    unread messages, newest first (one row with NULL facts when there is none), the student's
    saved profile beside the figures (the "For you" picks read it): the work, workload,
    messages and plan panels of the home all read it. A request binds
    ``tenant_id``, ``student_id``, ``course_id``, ``monday``, ``sunday`` and ``reader``."""
    figures = select(  # FIGURES columns
        _applications().label("na"),
        _applications(Application.status.in_(OPEN_STATUSES)).label("nw"),
        course_cap(CourseWorkloadCap.max_concurrent).label("cc"),
        course_cap(CourseWorkloadCap.max_weekly_hours).label("ch"),
        feed_in_use().label("cf"),
        any_unread().label("nn"),
    ).subquery("w")
    facts = _facts_statement(dialect).subquery("f")  # short names (see ZERO)
    newest = (facts.c.created_at.desc(), facts.c.id.desc())
    own = and_(_P.tenant_id == bindparam("tenant_id"), _P.user_id == bindparam("student_id"))
    return (
        select(figures, *_PROFILE_COLUMNS, facts)
        .select_from(figures)
        .outerjoin(_P, own)
        .outerjoin(facts, true())
        .order_by(*newest)
    )


@dataclass(frozen=True)
class StudentWork:
    """What the student's home shows of their work: the engagements' facts (newest first,
    with the messages the student has not read), their applications (all, and those waiting
    for a decision), the launch course's caps, and whether their calendar address is on."""

    engagements: list[EngagementFacts]
    applications: int
    waiting: int
    caps: Caps
    calendar_on: bool  # a calendar address in use (the plan panel's)
    profile: ProfileFacts | None = None  # None: the student saved none
    notes_unread: bool = True  # an unread notification (the work panel reads them)


def _facts(row: Any) -> EngagementFacts:
    eid, title, employer, status, course_id, planned, acknowledged, weekly, *more = row
    start, end, confirmed, pending, queried, week, handed_in = more[:7]
    started, submitted, evaluated, kinds, unread, _created = more[7:]
    return EngagementFacts(
        id=int(eid),
        title=str(title),
        employer=str(employer),
        status=str(status),
        course_id=course_id,
        planned_hours=int(planned or 0),
        acknowledged=bool(acknowledged),
        confirmed_minutes=int(confirmed or 0),
        pending_minutes=int(pending or 0),
        queried_minutes=int(queried or 0),
        week_minutes=int(week or 0),
        deliverables=int(handed_in or 0),
        reflection_started=bool(started),
        reflection_submitted=bool(submitted),
        evaluated=bool(evaluated),
        reopened=tuple(sorted(set((kinds or "").split(",")) - {""})),
        weekly_hours=int(weekly or 0),
        start_date=start,
        end_date=end,
        unread_messages=int(unread or 0),
    )


def student_work(ctx: LaunchContext, today: dt.date) -> StudentWork:
    """The launch student's engagements with what the home needs of each, their application
    counts and the launch course's workload caps, in one statement (``_work_statement``)."""
    monday, sunday = week_bounds(today)
    stmt = _work_statement(db.session.get_bind().dialect.name)
    params: dict[str, Any] = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    params.update(course_id=ctx.course_id, monday=monday, sunday=sunday)
    params["reader"] = user_key(ctx.user_id)  # the student's read marks
    rows = db.session.execute(stmt, params).all()
    applications, waiting, course_concurrent, course_hours, calendar_on, notes = rows[0][:FIGURES]
    profile = rows[0][FIGURES : FIGURES + PROFILE]
    start = FIGURES + PROFILE
    return StudentWork(
        [_facts(row[start:]) for row in rows if row[start] is not None],
        int(applications or 0),
        int(waiting or 0),
        caps_of(ctx.tenant_id, course_concurrent, course_hours),
        bool(calendar_on),
        ProfileFacts(*profile) if profile[0] is not None else None,
        bool(notes),
    )


def facts_of(
    engagement: Engagement,
    logs: list[HourLog],
    deliverables: int,
    reflection: Reflection | None,
    evaluated: bool,
    reopened: Iterable[str],
) -> EngagementFacts:
    """The facts of one engagement from what its page loaded already (no query)."""
    by_status = {"confirmed": 0, "pending": 0, "queried": 0}
    for log in logs:
        by_status[log.status] = by_status.get(log.status, 0) + log.minutes
    return EngagementFacts(
        id=engagement.id,
        title=engagement.listing.title,
        employer=engagement.listing.employer.name,
        status=engagement.status,
        course_id=engagement.course_id,
        planned_hours=engagement.planned_hours,
        acknowledged=engagement.acknowledged_at is not None,
        confirmed_minutes=by_status["confirmed"],
        pending_minutes=by_status["pending"],
        queried_minutes=by_status["queried"],
        week_minutes=0,
        deliverables=deliverables,
        reflection_started=reflection is not None,
        reflection_submitted=reflection is not None and reflection.submitted_at is not None,
        evaluated=evaluated,
        reopened=tuple(sorted(set(reopened))),
        weekly_hours=engagement.weekly_hours,
        start_date=engagement.start_date,
        end_date=engagement.end_date,
    )


# --- the timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str = "todo"  # done, current or todo
    detail: str = ""


def _hours_detail(f: EngagementFacts) -> str:
    logged = f"{f.logged_minutes / 60:g}"
    return f"{logged} of {f.planned_hours} hours logged" if f.planned_hours else f"{logged} hours"


def timeline(f: EngagementFacts) -> list[Step]:
    """The engagement from application to the supervisor's evaluation, each step done,
    current (the first one not done) or still to do. The credit steps (the instructor's
    decision, the gradebook) follow on the home, from the credit domain's panel."""
    done = {
        "applied": True,
        "accepted": True,
        "agreement": f.acknowledged,
        "hours": f.hours_done and "hours" not in f.reopened,
        "deliverables": f.deliverables > 0 and "deliverable" not in f.reopened,
        "reflection": f.reflection_submitted and "reflection" not in f.reopened,
        "evaluation": f.evaluated,
    }
    labels = {
        "applied": ("Applied", ""),
        "accepted": ("Accepted", ""),
        "agreement": ("Learning agreement acknowledged", ""),
        "hours": ("Hours logged", _hours_detail(f)),
        "deliverables": ("Deliverables handed in", f"{f.deliverables} so far"),
        "reflection": ("Reflection submitted", ""),
        "evaluation": ("Supervisor's evaluation", ""),
    }
    steps, current_found = [], False
    for key, (label, detail) in labels.items():
        state = "done" if done[key] else ("todo" if current_found else "current")
        current_found = current_found or state == "current"
        steps.append(Step(key, label, state, detail))
    return steps
