"""What the advisor's dashboard and home show first (issue 18): the students at risk (how many,
and the first few with their reasons), engagements per state and at-risk engagements per
reason, each a handful of grouped statements whatever the tenant's size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from internships.work.models import ENGAGEMENT_STATUSES, Engagement
from lti_tool.extensions import db

from .risk import OPEN_STATES, RULES, Thresholds, rule_conditions
from .student_rows import StudentRow
from .students import StudentQuery, student_page

TOP = 5  # at-risk rows shown first


@dataclass(frozen=True)
class StudentAtRisk:
    student_id: int
    name: str
    rows: list[StudentRow]  # the student's engagements among the newest at risk

    @property
    def reasons(self) -> int:
        return sum(len(r.risks) for r in self.rows)


@dataclass(frozen=True)
class AtRisk:
    total: int  # engagements at risk
    total_label: str  # "10,000+" past the student table's count cap
    shown: int  # engagements shown (the newest at risk)
    students: list[StudentAtRisk]  # their students, most reasons first


def at_risk(
    tenant_id: int, limits: Thresholds, today: dt.date, now: dt.datetime, top: int = TOP
) -> AtRisk:
    """How many engagements are at risk for any reason, and the newest ``top`` of them (the
    student table's first page filtered to them: the same rule conditions)."""
    page = student_page(tenant_id, StudentQuery(risk="any", per_page=top), limits, today, now)
    by_student: dict[int, StudentAtRisk] = {}
    for row in page.rows:
        name = row.name or row.email or "Student"
        by_student.setdefault(row.student_id, StudentAtRisk(row.student_id, name, [])).rows.append(
            row
        )
    # stable: the newest first among students with as many reasons
    students = sorted(by_student.values(), key=lambda s: -s.reasons)
    return AtRisk(page.total, page.total_label, len(page.rows), students)


def engagements_by_state(tenant_id: int) -> list[tuple[str, int]]:
    """Engagements per state (every state, in their order, zero when none): one grouped count
    over the (tenant, status) index."""
    counts = dict(
        db.session.execute(
            select(Engagement.status, func.count())
            .where(Engagement.tenant_id == tenant_id)
            .group_by(Engagement.status)
        ).all()
    )
    return [(state, int(counts.get(state, 0))) for state in ENGAGEMENT_STATUSES]


def at_risk_by_reason(
    tenant_id: int, limits: Thresholds, today: dt.date, now: dt.datetime
) -> list[tuple[str, int]]:
    """Open engagements flagged by each rule (an engagement may be flagged by several): one
    statement over the open engagements, each rule a sum of its condition."""
    rules = rule_conditions(limits, today, now)
    row = db.session.execute(
        select(*(func.coalesce(func.sum(case((rules[r], 1), else_=0)), 0) for r in RULES)).where(
            Engagement.tenant_id == tenant_id, Engagement.status.in_(OPEN_STATES)
        )
    ).one()
    return [(rule, int(count or 0)) for rule, count in zip(RULES, row, strict=True)]
