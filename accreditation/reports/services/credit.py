"""Credit figures for advisor reports, read from the ``credit`` module's models: the statement
of credits awarded (the advisor's home counts), and each (student, course)'s credit progress for
a few pairs in three grouped queries, or as columns of the student table's one statement of a
page's rows (the credit module's own ``course_progress`` builds the full checklist; the
per-student report uses that)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select, String, bindparam, func, literal_column, select
from sqlalchemy.orm import aliased

from credit.models import CreditAward, CreditPolicy
from credit.services.policy import tenant_defaults
from internships.work.models import Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.models import Tenant

Pair = tuple[int, int]  # (student id, course id)
Ts = TypeVarTuple("Ts")


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


def credits_statement(tenant: Any) -> Select[Any]:
    """The sum of credits of the tenant's current final awards (``tenant`` an id or a
    bindparam), for ``credits_awarded`` and the advisor's home counts."""
    return select(func.coalesce(func.sum(CreditAward.credits), 0)).where(
        CreditAward.tenant_id == tenant,
        CreditAward.superseded_by_id.is_(None),
        CreditAward.status == "final",
    )


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
        award = awards.get(pair)
        out[pair] = summary_of(
            policies[pair[1]],
            award.credits if award else None,
            award.status if award else None,
            minutes.get(pair, 0),
        )
    return out


def summary_of(
    policy: tuple[int, int], credits: int | None, status: str | None, minutes: int
) -> CreditSummary:
    """A pair's summary from its policy (hours per credit, max credits), its current award's
    credits and status (None without one) and its confirmed minutes."""
    per_credit, max_credits = policy
    return CreditSummary(
        credits_awarded=(credits or 0) if status == "final" else 0,
        max_credits=max_credits,
        approved_hours=round(minutes / 60, 2),
        hours_needed=per_credit * max_credits,
        award_status=status,
    )


def progress_columns(tenant: Any) -> list[Any]:
    """A row's credit progress as five columns of a statement over engagements (``tenant`` a
    bindparam), read beside its other details: its course's hours per credit and max credits
    (NULL without a stored policy: ``with_policy`` joins it), the current award's credits and
    status (the newest not superseded, not declined), and the confirmed minutes of the
    student's engagements in the course that are not cancelled: the figures of
    ``credit_progress_for``, an index probe each instead of three more statements."""
    other = aliased(Engagement)

    def award(column: Any) -> Any:
        return (
            select(column)
            .where(
                CreditAward.tenant_id == tenant,
                CreditAward.student_id == Engagement.student_id,
                CreditAward.course_id == Engagement.course_id,
                CreditAward.superseded_by_id.is_(None),
                # superseded_at is set with superseded_by_id, and "declined" written in, not
                # bound: the predicate of the partial unique index uq_credit_award_current, so
                # the probe is one of it (a prepared statement's generic plan too), not a scan
                # of the course's awards
                CreditAward.status != _DECLINED,
                CreditAward.superseded_at.is_(None),
            )
            .order_by(CreditAward.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    minutes = (
        select(func.sum(HourLog.minutes))
        .join(other, other.id == HourLog.engagement_id)
        .where(
            other.tenant_id == tenant,
            other.student_id == Engagement.student_id,
            other.course_id == Engagement.course_id,
            other.status != "cancelled",
            HourLog.status == "confirmed",
        )
        .scalar_subquery()
    )
    return [
        CreditPolicy.hours_per_credit,
        CreditPolicy.max_credits,
        award(CreditAward.credits),
        award(CreditAward.status),
        minutes,
    ]


_DECLINED = literal_column("'declined'", String)


def with_policy(stmt: Select[*Ts], tenant: Any) -> Select[*Ts]:
    """``stmt`` over engagements, outer-joined to their course's stored credit policy."""
    return stmt.outerjoin(
        CreditPolicy,
        (CreditPolicy.course_id == Engagement.course_id) & (CreditPolicy.tenant_id == tenant),
    )


def default_policy(tenant_id: int) -> tuple[int, int]:
    """(hours per credit, max credits) of a course without a stored policy: the tenant's
    defaults (its row as the launch loaded it; read, never created)."""
    tenant = db.session.get(Tenant, tenant_id)
    d = tenant_defaults(tenant) if tenant else {"hours_per_credit": 45, "max_credits": 3}
    return d["hours_per_credit"], min(d["max_credits"], d.get("credit_limit", 99))


_TENANT: Any = bindparam("tenant_id")
_COURSES: Any = bindparam("course_ids", expanding=True)
_STUDENTS: Any = bindparam("student_ids", expanding=True)
# Built once (parameters tenant_id, course_ids, student_ids): building them cost more than
# running them on a page of rows.
_POLICIES = select(
    CreditPolicy.course_id, CreditPolicy.hours_per_credit, CreditPolicy.max_credits
).where(CreditPolicy.tenant_id == _TENANT, CreditPolicy.course_id.in_(_COURSES))
_AWARDS = select(
    CreditAward.student_id, CreditAward.course_id, CreditAward.credits, CreditAward.status
).where(
    CreditAward.tenant_id == _TENANT,
    CreditAward.course_id.in_(_COURSES),
    CreditAward.student_id.in_(_STUDENTS),
    CreditAward.superseded_by_id.is_(None),
    CreditAward.status != "declined",
)
_CONFIRMED_MINUTES = (
    select(Engagement.student_id, Engagement.course_id, func.sum(HourLog.minutes))
    .join(HourLog, HourLog.engagement_id == Engagement.id)
    .where(
        Engagement.tenant_id == _TENANT,
        # two plain INs use the (tenant, student) index; pairs are picked by the caller
        Engagement.student_id.in_(_STUDENTS),
        Engagement.course_id.in_(_COURSES),
        Engagement.status != "cancelled",
        HourLog.status == "confirmed",
    )
    .group_by(Engagement.student_id, Engagement.course_id)
)


def _policies(tenant_id: int, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(hours per credit, max credits) of each course: its policy, else the tenant's defaults
    (read, never created)."""
    policies = {
        course_id: (per_credit, max_credits)
        for course_id, per_credit, max_credits in db.session.execute(
            _POLICIES, {"tenant_id": tenant_id, "course_ids": course_ids}
        )
    }
    if len(policies) < len(course_ids):
        default = default_policy(tenant_id)
        for course_id in course_ids:
            policies.setdefault(course_id, default)
    return policies


def _awards(
    tenant_id: int, student_ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int | None], Any]:
    """The current (not superseded, not declined) award of each (student, course): a row with
    its ``credits`` and ``status``."""
    params = {"tenant_id": tenant_id, "student_ids": student_ids, "course_ids": course_ids}
    return {(a.student_id, a.course_id): a for a in db.session.execute(_AWARDS, params)}


def _confirmed_minutes(
    tenant_id: int, student_ids: list[int], course_ids: list[int]
) -> dict[tuple[int, int | None], int]:
    """Confirmed minutes of each (student, course)'s engagements that are not cancelled."""
    params = {"tenant_id": tenant_id, "student_ids": student_ids, "course_ids": course_ids}
    return {
        (sid, cid): int(total or 0)
        for sid, cid, total in db.session.execute(_CONFIRMED_MINUTES, params)
    }
