"""Credit figures for advisor reports, read from the ``credit`` module's models: credits awarded
in a period, and each (student, course)'s credit progress for a page of rows in three grouped
queries (the credit module's own ``course_progress`` builds the full checklist; the per-student
report uses that)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from credit.models import CreditAward, CreditPolicy
from credit.services.policy import tenant_defaults
from internships.work.models import Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.models import Tenant

Pair = tuple[int, int]  # (student id, course id)


@dataclass(frozen=True)
class CreditSummary:
    """Where a student stands on credit in one course."""

    credits_awarded: int
    max_credits: int
    approved_hours: float
    hours_needed: int  # hours for the course's full credit
    award_status: str | None  # final | awaiting_approval | None

    @property
    def percent(self) -> int:
        if not self.hours_needed:
            return 0
        return min(100, round(100 * self.approved_hours / self.hours_needed))

    @property
    def label(self) -> str:
        if self.award_status == "final":
            return f"{self.credits_awarded} of {self.max_credits} credits awarded"
        if self.award_status == "awaiting_approval":
            return "Award awaiting approval"
        return f"{self.percent}% of {self.hours_needed} h"


def credits_awarded(tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None) -> int:
    """Credits of the tenant's current final awards made in ``span`` (all time when None)."""
    stmt = select(func.coalesce(func.sum(CreditAward.credits), 0)).where(
        CreditAward.tenant_id == tenant_id,
        CreditAward.superseded_by_id.is_(None),
        CreditAward.status == "final",
    )
    if span is not None:
        stmt = stmt.where(CreditAward.created_at >= span[0], CreditAward.created_at < span[1])
    return int(db.session.scalar(stmt) or 0)


def credit_progress_for(tenant_id: int, pairs: Iterable[Pair]) -> dict[Pair, CreditSummary]:
    """Credit progress of each (student, course) pair: the current award, the course policy
    (the tenant's defaults where the course has none yet) and the confirmed hours of its
    engagements that are not cancelled — the figures ``credit.services.progress`` shows."""
    wanted = sorted({(s, c) for s, c in pairs if c is not None})
    if not wanted:
        return {}
    course_ids = sorted({c for _, c in wanted})
    student_ids = sorted({s for s, _ in wanted})
    policies = _policies(tenant_id, course_ids)
    awards = _awards(tenant_id, student_ids, course_ids)
    minutes = _confirmed_minutes(tenant_id, student_ids, course_ids)
    out = {}
    for pair in wanted:  # only the pairs asked for
        per_credit, max_credits = policies[pair[1]]
        award = awards.get(pair)
        out[pair] = CreditSummary(
            credits_awarded=award.credits if award and award.status == "final" else 0,
            max_credits=max_credits,
            approved_hours=round(minutes.get(pair, 0) / 60, 2),
            hours_needed=per_credit * max_credits,
            award_status=award.status if award else None,
        )
    return out


def _policies(tenant_id: int, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(hours per credit, max credits) of each course: its policy, else the tenant's defaults
    (read, never created)."""
    policies = {
        p.course_id: (p.hours_per_credit, p.max_credits)
        for p in db.session.scalars(
            select(CreditPolicy).where(
                CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id.in_(course_ids)
            )
        )
    }
    if len(policies) < len(course_ids):
        tenant = db.session.get(Tenant, tenant_id)
        d = tenant_defaults(tenant) if tenant else {"hours_per_credit": 45, "max_credits": 3}
        default = (d["hours_per_credit"], min(d["max_credits"], d.get("credit_limit", 99)))
        for course_id in course_ids:
            policies.setdefault(course_id, default)
    return policies


def _awards(
    tenant_id: int, student_ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int | None], CreditAward]:
    """The current (not superseded, not declined) award of each (student, course)."""
    return {
        (a.student_id, a.course_id): a
        for a in db.session.scalars(
            select(CreditAward).where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id.in_(course_ids),
                CreditAward.student_id.in_(student_ids),
                CreditAward.superseded_by_id.is_(None),
                CreditAward.status != "declined",
            )
        )
    }


def _confirmed_minutes(
    tenant_id: int, student_ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int | None], int]:
    """Confirmed minutes of each (student, course)'s engagements that are not cancelled."""
    return {
        (sid, cid): int(total or 0)
        for sid, cid, total in db.session.execute(
            select(Engagement.student_id, Engagement.course_id, func.sum(HourLog.minutes))
            .join(HourLog, HourLog.engagement_id == Engagement.id)
            .where(
                Engagement.tenant_id == tenant_id,
                # two plain INs use the (tenant, student) index; pairs are picked below
                Engagement.student_id.in_(student_ids),
                Engagement.course_id.in_(course_ids),
                Engagement.status != "cancelled",
                HourLog.status == "confirmed",
            )
            .group_by(Engagement.student_id, Engagement.course_id)
        )
    }
