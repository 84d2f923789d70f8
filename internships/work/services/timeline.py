"""Where a student's work stands, for their home (issue 18): the facts of each engagement in
one query, the engagement as a timeline from application to grade, and the one next step.

Reads only: nothing here changes a row. The credit steps (the instructor's decision, the
gradebook) are the credit domain's; the home adds them from its own panel."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, exists, func, select

from internships.models import Employer, Listing
from lti_tool.context import LaunchContext
from lti_tool.extensions import db

from ..models import (
    Application,
    Deliverable,
    Engagement,
    EngagementReopening,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from .applications import OPEN_STATUSES
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

    @property
    def logged_minutes(self) -> int:
        return self.confirmed_minutes + self.pending_minutes + self.queried_minutes

    @property
    def hours_done(self) -> bool:
        """Every planned hour logged (or the work handed in already)."""
        if self.status in ("submitted", "completed"):
            return True
        return self.planned_hours > 0 and self.logged_minutes >= self.planned_hours * 60


def _minutes(engagement_id: Any, *where: Any) -> Any:
    return (
        select(func.coalesce(func.sum(HourLog.minutes), 0))
        .where(HourLog.engagement_id == engagement_id, *where)
        .scalar_subquery()
    )


def _reopened_kinds(engagement_id: Any, dialect: str) -> Any:
    """The kinds of the engagement's open reopenings, comma-separated (one value per row)."""
    kinds = EngagementReopening.kind
    joined = func.string_agg(kinds, ",") if dialect == "postgresql" else func.group_concat(kinds)
    return (
        select(joined)
        .where(
            EngagementReopening.engagement_id == engagement_id,
            EngagementReopening.closed_at.is_(None),
        )
        .scalar_subquery()
    )


@functools.cache
def _facts_statement(dialect: str) -> Any:
    """The facts of a student's engagements, built once per dialect (building it was a sixth
    of the student's home): a request binds ``tenant_id``, ``student_id``, ``monday`` and
    ``sunday``."""
    e = Engagement
    return (
        select(
            e.id,
            Listing.title,
            Employer.name,
            e.status,
            e.course_id,
            e.planned_hours,
            e.acknowledged_at.is_not(None),
            _minutes(e.id, HourLog.status == "confirmed"),
            _minutes(e.id, HourLog.status == "pending"),
            _minutes(e.id, HourLog.status == "queried"),
            _minutes(e.id, HourLog.work_date.between(bindparam("monday"), bindparam("sunday"))),
            select(func.count(Deliverable.id))
            .where(Deliverable.engagement_id == e.id)
            .scalar_subquery(),
            exists().where(Reflection.engagement_id == e.id),
            exists().where(Reflection.engagement_id == e.id, Reflection.submitted_at.is_not(None)),
            exists().where(SupervisorEvaluation.engagement_id == e.id),
            _reopened_kinds(e.id, dialect),
        )
        .join(Listing, Listing.id == e.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .where(e.tenant_id == bindparam("tenant_id"), e.student_id == bindparam("student_id"))
        .order_by(e.created_at.desc(), e.id.desc())
    )


def engagement_facts(ctx: LaunchContext, today: dt.date) -> list[EngagementFacts]:
    """The launch student's engagements, newest first, with what the home needs of each
    (one query: the hours, deliverables, reflection, evaluation and reopenings are counted
    in correlated subqueries)."""
    monday, sunday = week_bounds(today)
    stmt = _facts_statement(db.session.get_bind().dialect.name)
    params: dict[str, Any] = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    params.update(monday=monday, sunday=sunday)
    found = []
    for row in db.session.execute(stmt, params):
        eid, title, employer, status, course_id, planned, acknowledged, *more, kinds = row
        confirmed, pending, queried, week, handed_in = (int(v or 0) for v in more[:5])
        started, submitted, evaluated = (bool(v) for v in more[5:])
        found.append(
            EngagementFacts(
                id=int(eid),
                title=str(title),
                employer=str(employer),
                status=str(status),
                course_id=course_id,
                planned_hours=int(planned or 0),
                acknowledged=bool(acknowledged),
                confirmed_minutes=confirmed,
                pending_minutes=pending,
                queried_minutes=queried,
                week_minutes=week,
                deliverables=handed_in,
                reflection_started=started,
                reflection_submitted=submitted,
                evaluated=evaluated,
                reopened=tuple(sorted(set((kinds or "").split(",")) - {""})),
            )
        )
    return found


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
    )


_APPLICATION_COUNTS = (
    select(Application.status, func.count(Application.id))
    .where(
        Application.tenant_id == bindparam("tenant_id"),
        Application.student_id == bindparam("student_id"),
    )
    .group_by(Application.status)
)


def open_application_count(ctx: LaunchContext) -> tuple[int, int]:
    """How many applications the launch student made, and how many wait for a decision."""
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    rows = db.session.execute(_APPLICATION_COUNTS, params).all()
    return sum(n for _, n in rows), sum(n for status, n in rows if status in OPEN_STATUSES)


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


# --- the next step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """The one thing to do now (``endpoint`` and ``args``: where its button leads), or whom
    the student waits for (``waiting``: no button of theirs but a link to look)."""

    key: str
    title: str
    text: str
    endpoint: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    waiting: bool = False


def _in_course(f: EngagementFacts, course_id: int | None) -> bool:
    return course_id is None or f.course_id in (course_id, None)


def _engagement_step(f: EngagementFacts) -> NextStep | None:
    """The next step an engagement asks of its student, or None when it asks nothing."""
    page = {"engagement_id": f.id}
    if f.reopened:
        args = {"course_id": f.course_id} if f.course_id else page
        where = "credit.changes" if f.course_id else "work.engagement"
        text = f"Your instructor asked for changes to your work on “{f.title}”."
        return NextStep(
            "changes", "Answer the requested changes", text, where, "See what to change", args
        )
    if f.status != "active":
        return None
    if not f.acknowledged:
        text = (
            f"Read the learning agreement for “{f.title}” with {f.employer} and accept it: "
            "then you can log hours."
        )
        return NextStep(
            "agreement",
            "Acknowledge the learning agreement",
            text,
            "work.engagement",
            "Read the agreement",
            page,
        )
    if f.hours_done and not f.reflection_submitted:
        text = f"Your hours on “{f.title}” are logged. Write your reflection to finish the work."
        return NextStep(
            "reflection",
            "Finish the reflection",
            text,
            "work.reflection",
            "Write your reflection",
            page,
        )
    if f.hours_done:
        text = (
            f"Your hours and reflection on “{f.title}” are in. "
            "Submit the work for your instructor's review."
        )
        return NextStep(
            "submit",
            "Submit your work for review",
            text,
            "work.engagement",
            "Open the engagement",
            page,
        )
    week = f"{f.week_minutes / 60:g}"
    text = f"“{f.title}” with {f.employer}: {week} hours logged this week."
    return NextStep("hours", "Log this week's hours", text, "work.engagement", "Log hours", page)


def _waiting_step(f: EngagementFacts) -> NextStep:
    page = {"engagement_id": f.id}
    if f.pending_minutes:
        who, what = "your supervisor", f"to confirm {f.pending_minutes / 60:g} hours"
    elif not f.evaluated:
        who, what = "your supervisor", "for the evaluation of your work"
    else:
        who, what = "your instructor", "to review your work"
    text = f"You submitted “{f.title}”. We are waiting for {who} {what}."
    return NextStep(
        "waiting",
        f"Waiting for {who}",
        text,
        "work.engagement",
        "See the engagement",
        page,
        waiting=True,
    )


def next_step(
    facts: list[EngagementFacts], open_applications: int, course_id: int | None
) -> NextStep:
    """The one thing to do now in this course: answer requested changes, acknowledge an
    agreement, finish a reflection or log hours; else whom the student waits for; else find a
    micro-internship."""
    here = [f for f in facts if _in_course(f, course_id)]
    steps = [s for f in here if (s := _engagement_step(f)) is not None]
    order = ("changes", "agreement", "reflection", "submit", "hours")
    if steps:
        return min(steps, key=lambda s: order.index(s.key))
    submitted = [f for f in here if f.status == "submitted"]
    if submitted:
        return _waiting_step(submitted[0])
    if open_applications:
        text = "An employer is looking at your application. Meanwhile you can apply to more."
        return NextStep(
            "applied",
            "Waiting for a decision",
            text,
            "work.my_applications",
            "See my applications",
            waiting=True,
        )
    finished = [f for f in here if f.status == "completed"]
    title, text = (
        "Find a micro-internship",
        (
            "Micro-internships are short, paid projects with real employers; the ones you finish "
            "count toward credit in this course."
        ),
    )
    if finished:
        title = "Find your next micro-internship"
        text = f"Your work on “{finished[0].title}” is complete; your credit is below. {text}"
    return NextStep("find", title, text, "internships.board", "See the listings")
