"""An engagement's milestones and their proposed changes in one statement (issue 16): the
milestones panel shows both on every engagement page."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all

from internships.work.models import Engagement
from internships.work.services.reads import kept
from lti_tool.extensions import db

from ..models import Milestone, MilestoneChange


@functools.cache
def _statement() -> Any:
    """Each milestone's and each change's id (tagged by kind), joined back to its row, built
    once: a request binds ``tenant_id`` and ``engagement_id``. The order is each kind's own
    (the other kind's columns are NULL on a row)."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    keys = union_all(
        select(literal("milestone").label("kind"), Milestone.id.label("id")).where(
            Milestone.tenant_id == tenant_id, Milestone.engagement_id == engagement_id
        ),
        select(literal("change").label("kind"), MilestoneChange.id.label("id")).where(
            MilestoneChange.tenant_id == tenant_id, MilestoneChange.engagement_id == engagement_id
        ),
    ).subquery()
    return (
        select(Milestone, MilestoneChange)
        .select_from(keys)
        .outerjoin(Milestone, (keys.c.kind == "milestone") & (Milestone.id == keys.c.id))
        .outerjoin(MilestoneChange, (keys.c.kind == "change") & (MilestoneChange.id == keys.c.id))
        .order_by(
            Milestone.due_date,
            Milestone.position,
            Milestone.id,
            MilestoneChange.proposed_at.desc(),
            MilestoneChange.id.desc(),
        )
    )


def milestones_and_changes(
    engagement: Engagement,
) -> tuple[list[Milestone], list[MilestoneChange]]:
    """``milestones_of`` (by due date) and ``changes_of`` (newest first) in one statement,
    read once per transaction (``reads``: the engagement page reads them with its other
    lists, ``workspace.page_lists``)."""
    return kept("milestones_and_changes", engagement, lambda: _read(engagement))


def _read(engagement: Engagement) -> tuple[list[Milestone], list[MilestoneChange]]:
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    rows: list[Milestone] = []
    changes: list[MilestoneChange] = []
    for milestone, change in db.session.execute(_statement(), params):
        if milestone is not None:
            rows.append(milestone)
        if change is not None:
            changes.append(change)
    return rows, changes
