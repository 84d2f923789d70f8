"""The learning agreement's milestones: agreed rows (``Milestone``) and the proposed changes
that lead to them (``MilestoneChange``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select

from internships.work.models import Engagement
from lti_tool.extensions import db

from ..models import Milestone


def milestones_of(engagement: Engagement) -> list[Milestone]:
    """The engagement's agreed milestones, by due date."""
    return list(
        db.session.scalars(
            select(Milestone)
            .where(
                Milestone.tenant_id == engagement.tenant_id,
                Milestone.engagement_id == engagement.id,
            )
            .order_by(Milestone.due_date, Milestone.position, Milestone.id)
        )
    )


def late_milestones(tenant_id: int, today: dt.date) -> Select[int, int]:
    """(engagement_id, milestone_id) of every milestone of the tenant's open engagements that
    is past its due date and not done."""
    return (
        select(Milestone.engagement_id, Milestone.id)
        .join(Engagement, Engagement.id == Milestone.engagement_id)
        .where(
            Milestone.tenant_id == tenant_id,
            Engagement.tenant_id == tenant_id,
            Engagement.status == "active",
            Milestone.done_at.is_(None),
            Milestone.due_date < today,
        )
        .order_by(Milestone.engagement_id, Milestone.due_date, Milestone.id)
    )


def due_on(tenant_id: int, day: dt.date) -> list[tuple[int, int, str]]:
    """(engagement_id, milestone_id, title) of the tenant's open milestones due on ``day``."""
    rows = db.session.execute(
        select(Milestone.engagement_id, Milestone.id, Milestone.title)
        .join(Engagement, Engagement.id == Milestone.engagement_id)
        .where(
            Milestone.tenant_id == tenant_id,
            Engagement.tenant_id == tenant_id,
            Engagement.status == "active",
            Milestone.done_at.is_(None),
            Milestone.due_date == day,
        )
        .order_by(Milestone.engagement_id, Milestone.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]
