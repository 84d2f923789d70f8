"""Students at risk: the rules, their per-tenant thresholds, and each rule as one SQL condition
on an engagement — the same condition filters the student table and names the reason on a row,
so the list and the reasons never disagree.

Thresholds live in ``Tenant.settings["at_risk"]``; advisors and tool administrators edit them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from internships.work.models import (
    CompetencyRating,
    Engagement,
    HourLog,
    SupervisorEvaluation,
)
from internships.workspace.rhythm import risk as workspace_risk
from internships.workspace.rhythm.settings import settings_of as workspace_settings
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.services import audit

SETTINGS_KEY = "at_risk"
OPEN_STATES = ("active", "submitted")


@dataclass(frozen=True)
class Thresholds:
    """When a rule flags an engagement (defaults from the issue; editable per tenant)."""

    inactive_days: int = 14  # active, and no hours worked for this many days
    deadline_days: int = 14  # the end date is this close ...
    deadline_min_percent: int = 60  # ... and fewer than this share of planned hours is logged
    lowest_level: int = 1  # a supervisor rating at or below this level (1 = lowest of 4)
    evaluation_overdue_days: int = 7  # no evaluation this many days after the end date
    agreement_days: int = 7  # accepted this long ago, learning agreement not acknowledged
    # nothing at all happened for this many days: the workspace's reminder setting
    # (Tenant.settings["rhythm"]), not edited here; part of the key the statements are kept by
    no_activity_days: int = 10


LIMITS = {
    "inactive_days": (1, 365),
    "deadline_days": (1, 365),
    "deadline_min_percent": (1, 100),
    "lowest_level": (1, 3),
    "evaluation_overdue_days": (0, 365),
    "agreement_days": (1, 365),
}

RULES = (
    "inactive",
    "behind_plan",
    "low_rating",
    "evaluation_overdue",
    "no_agreement",
    *workspace_risk.RULES,
)
RULE_LABELS = {
    "inactive": "No hours logged recently",
    "behind_plan": "Behind planned hours near the end date",
    "low_rating": "Lowest supervisor rating on a competency",
    "evaluation_overdue": "Supervisor evaluation overdue",
    "no_agreement": "Learning agreement not acknowledged",
    **workspace_risk.LABELS,
}


def thresholds_of(settings: dict[str, Any] | None) -> Thresholds:
    """The tenant's thresholds; missing or invalid values fall back to the defaults."""
    stored = (settings or {}).get(SETTINGS_KEY) or {}
    values = {}
    for name, (low, high) in LIMITS.items():
        value = stored.get(name) if isinstance(stored, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            values[name] = value
    values["no_activity_days"] = workspace_settings(settings).no_activity_days
    return Thresholds(**values)


def tenant_thresholds(tenant_id: int) -> Thresholds:
    """The thresholds of one tenant (its row as the launch loaded it: no query in a page)."""
    tenant = db.session.get(Tenant, tenant_id)
    return thresholds_of(tenant.settings if tenant is not None else None)


def update_thresholds(ctx: LaunchContext, new: Thresholds) -> bool:
    """Save the tenant's at-risk thresholds (advisors and tool administrators); audited.
    Returns False when nothing changed."""
    if ctx.role != "advisor" and not ctx.is_tool_admin:
        raise PolicyViolationError("Only advisors and Career Credit administrators change these.")
    for name, (low, high) in LIMITS.items():
        value = getattr(new, name)
        if not low <= value <= high:
            raise PolicyViolationError(
                f"{name.replace('_', ' ').capitalize()} must be between {low} and {high}.",
                reason=f"invalid_{name}",
            )
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFoundError("This institution is not registered.")
    old = thresholds_of(tenant.settings)
    new = dataclasses.replace(new, no_activity_days=old.no_activity_days)  # not edited here
    if old == new:
        return False
    # a new dict: the JSON column does not track changes in place
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: dataclasses.asdict(new)}
    audit.record(
        ctx.actor,
        "reports.at_risk_thresholds",
        ctx.tenant_id,
        old=dataclasses.asdict(old),
        new=dataclasses.asdict(new),
    )
    db.session.flush()
    return True


def rule_conditions(
    limits: Thresholds, today: dt.date, now: dt.datetime, engagement: Any = Engagement
) -> dict[str, ColumnElement[bool]]:
    """Each rule as a boolean SQL condition on ``engagement`` (the Engagement entity or an
    alias of it). Cancelled and completed engagements are never at risk.

    Building them is most of a report page's Python (the advisor's home and dashboard, the
    student table): on the Engagement entity they are kept per thresholds, day and minute
    (``now`` only dates the unacknowledged agreements, to the minute). Read only."""
    if engagement is Engagement:
        return _kept_conditions(limits, today, now.replace(second=0, microsecond=0))
    return _conditions(limits, today, now, engagement)


@functools.lru_cache(maxsize=16)
def _kept_conditions(
    limits: Thresholds, today: dt.date, now: dt.datetime
) -> dict[str, ColumnElement[bool]]:
    return _conditions(limits, today, now, Engagement)


def _conditions(
    limits: Thresholds, today: dt.date, now: dt.datetime, e: Any
) -> dict[str, ColumnElement[bool]]:
    inactive_cutoff = today - dt.timedelta(days=limits.inactive_days)
    # Scalar subqueries (max, min, sum) rather than EXISTS: inside an OR, PostgreSQL may turn
    # an EXISTS into a hashed subplan that reads the whole table first; a scalar one is an
    # index probe per engagement (a covering index each, see models.REPORT_INDEXES).
    logged = (
        select(func.coalesce(func.sum(HourLog.minutes), 0))
        .where(HourLog.engagement_id == e.id, HourLog.status != "queried")
        .scalar_subquery()
    )
    last_worked = (
        select(func.max(HourLog.work_date)).where(HourLog.engagement_id == e.id).scalar_subquery()
    )
    lowest = (
        select(func.min(CompetencyRating.level))
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .where(SupervisorEvaluation.engagement_id == e.id)
        .scalar_subquery()
    )
    return {
        "inactive": and_(
            e.status == "active",
            or_(
                e.start_date <= inactive_cutoff,
                and_(
                    e.start_date.is_(None),
                    e.created_at < dt.datetime.combine(inactive_cutoff, dt.time()),
                ),
            ),
            func.coalesce(last_worked, inactive_cutoff) <= inactive_cutoff,
        ),
        "behind_plan": and_(
            e.status == "active",
            e.end_date.is_not(None),
            e.end_date <= today + dt.timedelta(days=limits.deadline_days),
            e.planned_hours > 0,
            logged * 100 < e.planned_hours * 60 * limits.deadline_min_percent,
        ),
        "low_rating": and_(e.status.in_(OPEN_STATES), lowest <= limits.lowest_level),
        "evaluation_overdue": and_(
            e.status.in_(OPEN_STATES),
            e.end_date.is_not(None),
            e.end_date < today - dt.timedelta(days=limits.evaluation_overdue_days),
            ~exists().where(SupervisorEvaluation.engagement_id == e.id),
        ),
        "no_agreement": and_(
            e.status == "active",
            e.acknowledged_at.is_(None),
            e.created_at < now - dt.timedelta(days=limits.agreement_days),
        ),
        **workspace_risk.conditions(limits.no_activity_days, today, e),
    }


def describe(rule: str, limits: Thresholds) -> str:
    """The reason a person reads next to a flag."""
    return {
        "inactive": f"No hours logged in the last {limits.inactive_days} days of an active "
        "engagement.",
        "behind_plan": f"Ends within {limits.deadline_days} days with under "
        f"{limits.deadline_min_percent}% of the planned hours logged.",
        "low_rating": "A supervisor rated a competency at the lowest level"
        + (" or just above." if limits.lowest_level > 1 else "."),
        "evaluation_overdue": "No supervisor evaluation "
        f"{limits.evaluation_overdue_days} days after the end date.",
        "no_agreement": f"Accepted over {limits.agreement_days} days ago; the learning agreement "
        "is not acknowledged.",
        **workspace_risk.reasons(limits.no_activity_days),
    }[rule]
