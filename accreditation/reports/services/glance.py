"""What the advisor's dashboard and home show first (issue 18): the students at risk (how many,
for which reasons, and the newest few with their reasons) and engagements per state.

Cheap on every request: the at-risk rules' SQL conditions are built once (building them is most
of their cost in Python) and serve one statement, the counts per reason with the newest rows;
the states are one count per state over the (tenant, status) index."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, literal_column, or_, select

from internships.models import Employer, Listing
from internships.work.models import ENGAGEMENT_STATUSES, Engagement
from lti_tool.extensions import db
from lti_tool.models import Course, User

from .risk import OPEN_STATES, RULES, Thresholds, describe, rule_conditions
from .students import COUNT_CAP

TOP = 5  # at-risk engagements shown first


@dataclass(frozen=True)
class Flagged:
    """One engagement at risk, as the lists show it."""

    engagement_id: int
    employer: str
    listing: str
    course: str
    risks: list[tuple[str, str]]  # (rule, reason)


@dataclass(frozen=True)
class StudentAtRisk:
    student_id: int
    name: str
    rows: list[Flagged] = field(default_factory=list)  # among the newest at risk

    @property
    def reasons(self) -> int:
        return sum(len(r.risks) for r in self.rows)


@dataclass(frozen=True)
class AtRisk:
    total: int  # open engagements at risk for any reason (the student table's risk=any)
    by_reason: list[tuple[str, int]]  # (rule, engagements it flags), in RULES order
    shown: int  # engagements shown: the newest at risk
    students: list[StudentAtRisk]  # their students, most reasons first
    # the engagements shown with their students' ids and names, newest first
    newest: list[tuple[int, str, Flagged]] = field(default_factory=list)

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.total >= COUNT_CAP else f"{self.total:,}"


def at_risk(
    tenant_id: int, limits: Thresholds, today: dt.date, now: dt.datetime, top: int = TOP
) -> AtRisk:
    """The open engagements at risk (the student table's conditions, so the numbers agree with
    its lists): how many for any reason and for each (counted up to COUNT_CAP, as the table
    does), and the newest ``top`` with their students, listings and reasons. One statement,
    built once per thresholds, day and minute (as ``rule_conditions`` keeps the rules)."""
    statement = at_risk_statement(limits, today, now, top)
    return at_risk_of(db.session.execute(statement, {"tenant_id": tenant_id}).all(), limits)


def at_risk_of(rows: Sequence[Any], limits: Thresholds) -> AtRisk:
    """``at_risk`` from the rows of ``at_risk_statement`` (none: nobody at risk)."""
    # each row: the counts (total, then each reason's), then the engagement with its flags
    width = len(RULES) + 1
    counts = rows[0][:width] if rows else (0,) * width
    return _summary(
        int(counts[0] or 0),
        [(r, int(n or 0)) for r, n in zip(RULES, counts[1:], strict=True)],
        _flagged([row[width:] for row in rows], limits),
    )


AT_RISK_ID = len(RULES) + 1  # where the engagement's id is in a row of ``at_risk_statement``


def at_risk_statement(limits: Thresholds, today: dt.date, now: dt.datetime, top: int = TOP) -> Any:
    """``at_risk``'s statement (parameter ``tenant_id``), for one that reads more beside it:
    kept per thresholds, day and minute."""
    return _statement(limits, today, now.replace(second=0, microsecond=0), top)


def _summary(
    total: int, by_reason: list[tuple[str, int]], newest: list[tuple[int, str, Flagged]]
) -> AtRisk:
    return AtRisk(total, by_reason, len(newest), _by_student(newest), newest)


def newest(found: AtRisk, top: int) -> AtRisk:
    """``found`` with only its newest ``top`` engagements shown."""
    return _summary(found.total, found.by_reason, found.newest[:top])


def at_risk_data(found: AtRisk) -> dict[str, Any]:
    """``found`` as JSON (kept figures, ``home_snapshots``)."""
    return {
        "total": found.total,
        "by_reason": [list(pair) for pair in found.by_reason],
        "newest": [
            [
                sid,
                name,
                f.engagement_id,
                f.employer,
                f.listing,
                f.course,
                [list(r) for r in f.risks],
            ]
            for sid, name, f in found.newest
        ],
    }


def at_risk_from_data(data: dict[str, Any]) -> AtRisk:
    """The ``AtRisk`` that ``at_risk_data`` wrote."""
    rows = [
        (
            int(sid),
            str(name),
            Flagged(int(eid), employer, listing, course, [tuple(r) for r in risks]),
        )
        for sid, name, eid, employer, listing, course, risks in data["newest"]
    ]
    by_reason = [(str(rule), int(n)) for rule, n in data["by_reason"]]
    return _summary(int(data["total"]), by_reason, rows)


# The flags' 1 and 0 written into the statement, not bound: 24 parameters fewer to process on
# every execution
_ONE, _ZERO = literal_column("1", Integer), literal_column("0", Integer)


@functools.lru_cache(maxsize=16)
def _statement(limits: Thresholds, today: dt.date, now: dt.datetime, top: int) -> Any:
    """``at_risk``'s statement (parameter ``tenant_id``): the newest ``top`` engagements at
    risk with their flags, each with the counts, then joined to their students, listings and
    courses (the joins read those few rows only)."""
    rules = rule_conditions(limits, today, now)
    tenant: Any = bindparam("tenant_id")
    # Each open engagement's flags, each rule evaluated once: OFFSET 0 keeps PostgreSQL from
    # pulling the subquery up into the filter below, which evaluated every rule's subqueries
    # again for each engagement at risk (the filter, then the flags: 350 ms of the statement's
    # 360 at 50,000 engagements). A row is at risk when a flag is 1, as the student table's
    # risk=any filter (coalesce(or, false): NULL and false both fail) finds it.
    per_engagement = (
        select(Engagement.id, *(case((rules[r], _ONE), else_=_ZERO).label(r) for r in RULES))
        .where(Engagement.tenant_id == tenant, Engagement.status.in_(OPEN_STATES))
        .offset(0)
        .subquery()
    )
    # As the student table counts: at most COUNT_CAP matches, found in no order, then counted
    # (and each reason summed) over all of them while the newest few are cut from them.
    flagged = (
        select(per_engagement)
        .where(or_(*(per_engagement.c[r] == _ONE for r in RULES)))
        .limit(COUNT_CAP)
        .subquery()
    )
    newest = (
        select(
            func.count().over().label("total"),
            *(func.sum(flagged.c[r]).over().label(f"n_{r}") for r in RULES),
            flagged,
        )
        .order_by(flagged.c.id.desc())
        .limit(top)
        .subquery()
    )
    return (
        select(
            *(newest.c[name] for name in ("total", *(f"n_{r}" for r in RULES))),
            newest.c.id,
            Engagement.student_id,
            User.name,
            User.email,
            Employer.name,
            Listing.title,
            Course.title,
            *(newest.c[r] for r in RULES),
        )
        .select_from(newest)
        .join(Engagement, Engagement.id == newest.c.id)
        .join(User, User.id == Engagement.student_id)
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(Course, Course.id == Engagement.course_id)
        .order_by(newest.c.id.desc())
    )


def _flagged(rows: Sequence[Any], limits: Thresholds) -> list[tuple[int, str, Flagged]]:
    """The rows with their reasons in words: (student id, name, the engagement)."""
    out = []
    for eid, sid, name, email, employer, listing, course, *flags in rows:
        risks = [(r, describe(r, limits)) for r, on in zip(RULES, flags, strict=True) if on]
        flagged = Flagged(eid, employer or "", listing or "", course or "", risks)
        out.append((sid, name or email or "Student", flagged))
    return out


def _by_student(rows: list[tuple[int, str, Flagged]]) -> list[StudentAtRisk]:
    """The engagements grouped by student, the students with the most reasons first (the
    newest first among as many)."""
    students: dict[int, StudentAtRisk] = {}
    for sid, name, flagged in rows:
        students.setdefault(sid, StudentAtRisk(sid, name)).rows.append(flagged)
    return sorted(students.values(), key=lambda s: -s.reasons)


# Built once (parameter tenant_id): one count a state, each an index-only scan of its part of
# the (tenant, status) index; PostgreSQL read the whole table to group a large tenant's
# engagements (20 of the dashboard's 50 ms at 50,000 engagements).
_BY_STATE = select(
    *(
        select(func.count())
        .where(Engagement.tenant_id == bindparam("tenant_id"), Engagement.status == state)
        .scalar_subquery()
        for state in ENGAGEMENT_STATUSES
    )
)


STATE_COLUMNS = list(_BY_STATE.selected_columns)  # for a statement that reads more beside


def engagements_by_state(tenant_id: int) -> list[tuple[str, int]]:
    """Engagements per state (every state, in their order, zero when none): one statement
    counting each state over the (tenant, status) index."""
    return states_of(db.session.execute(_BY_STATE, {"tenant_id": tenant_id}).one())


def states_of(counts: Sequence[Any]) -> list[tuple[str, int]]:
    """(state, engagements) from the values of ``STATE_COLUMNS``."""
    return [(state, int(n or 0)) for state, n in zip(ENGAGEMENT_STATUSES, counts, strict=True)]
