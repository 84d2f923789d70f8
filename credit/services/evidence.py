"""The evidence on one student's review page: each engagement of theirs counting toward the
course with its listing and employer, its reflection, the supervisor's evaluation with its
ratings, its hour logs and its deliverables. Three statements for all of them (issue 16): the
engagements with their reflections and evaluations (each at most one per engagement, so a
join), then the hour logs and the deliverables of every engagement at once; the engagement
services read the same one engagement and one kind at a time (five statements each)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, and_, bindparam, select
from sqlalchemy.orm import joinedload

from internships.models import Employer, Listing
from internships.work.models import (
    Deliverable,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from lti_tool.extensions import db


@dataclass
class Evidence:
    """One engagement and what the review shows of it, in the engagement services' orders
    (hour logs by day, deliverables oldest first)."""

    engagement: Engagement
    reflection: Reflection | None
    evaluation: SupervisorEvaluation | None
    logs: list[HourLog]
    deliverables: list[Deliverable]


@functools.cache
def _engagements_statement() -> Executable:
    """The tenant's engagements of ``ids`` with their listings and employers, reflections and
    evaluations (with ratings); built once."""
    tenant_id: Any = bindparam("tenant_id")
    return (
        select(Engagement, Reflection, SupervisorEvaluation)
        .outerjoin(
            Reflection,
            and_(Reflection.engagement_id == Engagement.id, Reflection.tenant_id == tenant_id),
        )
        .outerjoin(
            SupervisorEvaluation,
            and_(
                SupervisorEvaluation.engagement_id == Engagement.id,
                SupervisorEvaluation.tenant_id == tenant_id,
            ),
        )
        .options(
            # the page shows the listing's title and its employer's name (of 34 and 10 columns)
            joinedload(Engagement.listing)
            .load_only(Listing.title)
            .joinedload(Listing.employer)
            .load_only(Employer.name),
            joinedload(SupervisorEvaluation.ratings),
        )
        .where(
            Engagement.tenant_id == tenant_id, Engagement.id.in_(bindparam("ids", expanding=True))
        )
    )


@functools.cache
def _hour_logs_statement() -> Executable:
    return (
        select(HourLog)
        .where(
            HourLog.tenant_id == bindparam("tenant_id"),
            HourLog.engagement_id.in_(bindparam("ids", expanding=True)),
        )
        .order_by(HourLog.work_date, HourLog.id)
    )


@functools.cache
def _deliverables_statement() -> Executable:
    return (
        select(Deliverable)
        .where(
            Deliverable.tenant_id == bindparam("tenant_id"),
            Deliverable.engagement_id.in_(bindparam("ids", expanding=True)),
        )
        .order_by(Deliverable.created_at, Deliverable.id)
    )


def review_evidence(tenant_id: int, engagement_ids: Sequence[int]) -> list[Evidence]:
    """The evidence of the tenant's engagements of ``engagement_ids``, in that order (an id
    not of the tenant is left out)."""
    if not engagement_ids:
        return []
    params = {"tenant_id": tenant_id, "ids": list(engagement_ids)}
    rows = db.session.execute(_engagements_statement(), params).unique().all()
    found = {
        e.id: Evidence(e, reflection, evaluation, [], []) for e, reflection, evaluation in rows
    }
    for log in db.session.scalars(_hour_logs_statement(), params):
        if log.engagement_id in found:
            found[log.engagement_id].logs.append(log)
    for d in db.session.scalars(_deliverables_statement(), params):
        if d.engagement_id in found:
            found[d.engagement_id].deliverables.append(d)
    return [found[eid] for eid in engagement_ids if eid in found]
