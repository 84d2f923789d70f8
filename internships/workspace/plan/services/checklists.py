"""The onboarding checklist: templates (the tenant's default, a listing's own) and each
engagement's copy, ticked by the student and the supervisor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from internships.work.models import Engagement, HourLog
from lti_tool.extensions import db

from ..models import ChecklistItem, ChecklistTemplate

# The career center's default onboarding checklist: (label, is the kick-off call)
DEFAULT_ITEMS: tuple[tuple[str, bool], ...] = (
    ("Kick-off call held", True),
    ("Access to tools granted", False),
    ("Expectations and working hours agreed", False),
    ("Confidentiality and IP terms accepted (if any)", False),
    ("First deliverable date set", False),
)


def default_items() -> list[dict[str, object]]:
    return [{"label": label, "kickoff": kickoff} for label, kickoff in DEFAULT_ITEMS]


def tenant_template(tenant_id: int) -> ChecklistTemplate | None:
    """The tenant's own default template, or None (the career center's built-in list)."""
    return db.session.scalar(
        select(ChecklistTemplate).where(
            ChecklistTemplate.tenant_id == tenant_id, ChecklistTemplate.listing_id.is_(None)
        )
    )


def listing_template(tenant_id: int, listing_id: int) -> ChecklistTemplate | None:
    """A listing's own template, or None (the listing uses the default)."""
    return db.session.scalar(
        select(ChecklistTemplate).where(
            ChecklistTemplate.tenant_id == tenant_id, ChecklistTemplate.listing_id == listing_id
        )
    )


def template_items(tenant_id: int, listing_id: int | None) -> list[dict[str, object]]:
    """The items an engagement of this listing starts with: the listing's template, else the
    tenant's default, else the built-in list."""
    found = listing_template(tenant_id, listing_id) if listing_id is not None else None
    found = found or tenant_template(tenant_id)
    return list(found.items) if found is not None else default_items()


def stored_items(engagement: Engagement) -> list[ChecklistItem]:
    """The engagement's checklist rows (none before its first tick)."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(
                ChecklistItem.tenant_id == engagement.tenant_id,
                ChecklistItem.engagement_id == engagement.id,
            )
            .order_by(ChecklistItem.position)
        )
    )


def kickoff_done_at(engagement_id: int) -> dt.datetime | None:
    """When the engagement's kick-off call item was ticked, or None (not yet, or no such item)."""
    return db.session.scalar(
        select(ChecklistItem.done_at).where(
            ChecklistItem.engagement_id == engagement_id, ChecklistItem.kickoff.is_(True)
        )
    )


def hours_before_kickoff(engagement: Engagement, logs: Iterable[HourLog]) -> set[int]:
    """Ids of the logs of work done before the kick-off call: on a day before the kick-off item
    was ticked, or any log while it is not ticked. Empty when the checklist has no kick-off."""
    items = stored_items(engagement)
    if items:
        kickoffs = [item for item in items if item.kickoff]
        if not kickoffs:
            return set()
        done_at = kickoffs[0].done_at
    elif any(
        item.get("kickoff") for item in template_items(engagement.tenant_id, engagement.listing_id)
    ):
        done_at = None  # the checklist is not written yet: nothing is ticked
    else:
        return set()
    return {log.id for log in logs if done_at is None or log.work_date < done_at.date()}
