"""The onboarding checklist: templates (the career center's built-in list, the tenant's
default, a listing's own) and each engagement's copy, which the student and the supervisor
tick. The copy is written from the template on the first tick (a page that only shows it
writes nothing); until then the engagement shows its template's items, none ticked."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, or_, select

from internships.models import Listing
from internships.work.models import Engagement, HourLog
from internships.work.services.reads import kept
from lti_tool.actor import Actor
from lti_tool.context import day_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit
from lti_tool.tenants import get_tenant

from ..models import PARTIES, ChecklistItem, ChecklistTemplate

# The career center's default onboarding checklist: (label, is the kick-off call)
DEFAULT_ITEMS: tuple[tuple[str, bool], ...] = (
    ("Kick-off call held", True),
    ("Access to tools granted", False),
    ("Expectations and working hours agreed", False),
    ("Confidentiality and IP terms accepted (if any)", False),
    ("First deliverable date set", False),
)
MAX_ITEMS = 20
MAX_LABEL = 200
# an engagement's checklist is ticked while the project is under way
TICKABLE_STATUSES = ("active",)


class ChecklistInvalidError(PolicyViolationError):
    """A template that breaks a rule; ``errors`` names the field."""


def default_items() -> list[dict[str, Any]]:
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


def default_template_items(tenant_id: int) -> list[dict[str, Any]]:
    """The tenant's default checklist: its own, else the built-in list."""
    found = tenant_template(tenant_id)
    return list(found.items) if found is not None else default_items()


def template_items(tenant_id: int, listing_id: int | None) -> list[dict[str, Any]]:
    """The items an engagement of this listing starts with: the listing's template, else the
    tenant's default, else the built-in list (both templates in one statement)."""
    if listing_id is None:
        return default_template_items(tenant_id)
    found = {
        template.listing_id: template
        for template in db.session.scalars(
            _templates_statement(), {"tenant_id": tenant_id, "listing_id": listing_id}
        )
    }
    template = found.get(listing_id) or found.get(None)
    return list(template.items) if template is not None else default_items()


@functools.cache
def _templates_statement() -> Any:
    """A listing's template and the tenant's default, built once: a request binds
    ``tenant_id`` and ``listing_id``."""
    return select(ChecklistTemplate).where(
        ChecklistTemplate.tenant_id == bindparam("tenant_id"),
        or_(
            ChecklistTemplate.listing_id == bindparam("listing_id"),
            ChecklistTemplate.listing_id.is_(None),
        ),
    )


def listings_with_templates(tenant_id: int) -> set[int]:
    """Ids of the tenant's listings that have a checklist of their own."""
    return set(
        db.session.scalars(
            select(ChecklistTemplate.listing_id).where(
                ChecklistTemplate.tenant_id == tenant_id,
                ChecklistTemplate.listing_id.is_not(None),
            )
        )
    )


def clean_items(lines: Iterable[str], kickoff_first: bool) -> list[dict[str, Any]]:
    """A template's items from its lines (blank lines dropped); ChecklistInvalidError when
    none is left, too many, one too long or one given twice."""
    labels = [line.strip() for line in lines if line.strip()]
    problem = ""
    if not labels:
        problem = "Enter at least one item, one per line."
    elif len(labels) > MAX_ITEMS:
        problem = f"A checklist has at most {MAX_ITEMS} items; this one has {len(labels)}."
    elif any(len(label) > MAX_LABEL for label in labels):
        problem = f"Keep each item to {MAX_LABEL} characters or fewer."
    elif len({label.casefold() for label in labels}) != len(labels):
        problem = "Each item may appear only once."
    if problem:
        raise ChecklistInvalidError(
            f"The checklist was not saved: {problem}", field="items", reason="invalid_checklist"
        )
    return [
        {"label": label, "kickoff": kickoff_first and index == 0}
        for index, label in enumerate(labels)
    ]


def set_default_checklist(
    actor: Actor, lines: Iterable[str], kickoff_first: bool = True
) -> ChecklistTemplate:
    """Replace the tenant's default onboarding checklist."""
    items = clean_items(lines, kickoff_first)
    template = tenant_template(actor.tenant)
    if template is None:
        template = ChecklistTemplate(tenant_id=actor.tenant, listing_id=None)
        db.session.add(template)
    template.items = items
    template.updated_by = actor.name
    db.session.flush()
    audit.record(actor, "workspace.checklist_default_set", items=len(items))
    return template


def _listing(tenant_id: int, listing_id: int) -> Listing:
    listing = db.session.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.tenant_id == tenant_id)
    )
    if listing is None:
        raise NotFoundError("No such listing here.", reason="no_listing")
    return listing


def set_listing_checklist(
    actor: Actor, listing_id: int, items: Iterable[str], kickoff_first: bool = True
) -> ChecklistTemplate:
    """Give a listing its own onboarding checklist (the advisor's page, the employer's own
    page): ``items`` are the labels in order; the first is the kick-off call unless
    ``kickoff_first`` is false. Engagements whose checklist is already written keep theirs."""
    listing = _listing(actor.tenant, listing_id)
    cleaned = clean_items(items, kickoff_first)
    template = listing_template(actor.tenant, listing.id)
    if template is None:
        template = ChecklistTemplate(tenant_id=actor.tenant, listing_id=listing.id)
        db.session.add(template)
    template.items = cleaned
    template.updated_by = actor.name
    db.session.flush()
    audit.record(actor, "workspace.checklist_listing_set", listing_id=listing.id)
    return template


def clear_listing_checklist(actor: Actor, listing_id: int) -> bool:
    """The listing goes back to the tenant's default checklist; whether it had its own."""
    listing = _listing(actor.tenant, listing_id)
    template = listing_template(actor.tenant, listing.id)
    if template is None:
        return False
    db.session.delete(template)
    db.session.flush()
    audit.record(actor, "workspace.checklist_listing_cleared", listing_id=listing.id)
    return True


# --- an engagement's checklist -------------------------------------------------------------------


@functools.cache
def _stored_statement() -> Any:
    """An engagement's checklist rows, built once: a request binds ``tenant_id`` and
    ``engagement_id``."""
    return (
        select(ChecklistItem)
        .where(
            ChecklistItem.tenant_id == bindparam("tenant_id"),
            ChecklistItem.engagement_id == bindparam("engagement_id"),
        )
        .order_by(ChecklistItem.position)
    )


def stored_items(engagement: Engagement) -> list[ChecklistItem]:
    """The engagement's checklist rows (none before its first tick)."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    return list(db.session.scalars(_stored_statement(), params))


def _shown_items(engagement: Engagement) -> list[ChecklistItem]:
    """``stored_items`` read once per transaction for what a page shows (the checklist panel
    and the hour reviews' kick-off flags: ``work.services.reads``, dropped on any write)."""
    return kept("checklist_rows", engagement, lambda: stored_items(engagement))


class TemplateItem(NamedTuple):
    """An item of the engagement's template as a page shows it before the first tick: a plain
    row, never ticked (the page only reads it; no unsaved ``ChecklistItem`` per request)."""

    position: int
    label: str
    kickoff: bool
    done_at: dt.datetime | None = None
    done_by: str | None = None
    done_role: str | None = None


ShownItems = Sequence[ChecklistItem | TemplateItem]


def checklist_of(engagement: Engagement) -> ShownItems:
    """The engagement's checklist: its rows, or (before the first tick) its template's items
    as plain rows, none ticked."""
    rows = _shown_items(engagement)
    if rows:
        return rows
    return [
        TemplateItem(position, str(item["label"]), bool(item.get("kickoff")))
        for position, item in enumerate(_template_of(engagement))
    ]


def _template_of(engagement: Engagement) -> list[dict[str, Any]]:
    # read once per transaction (``reads``; the engagement page reads it with its other rows)
    return kept(
        "checklist_template",
        engagement,
        lambda: template_items(engagement.tenant_id, engagement.listing_id),
    )


def _from_template(engagement: Engagement) -> list[ChecklistItem]:
    items = _template_of(engagement)
    return [
        ChecklistItem(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement.id,
            position=position,
            label=str(item["label"]),
            kickoff=bool(item.get("kickoff")),
        )
        for position, item in enumerate(items)
    ]


def tick_item(
    actor: Actor, engagement: Engagement, role: str, position: int, done: bool
) -> ChecklistItem:
    """The student or the supervisor ticks (``done``) or unticks an item of the engagement's
    checklist; who and when are recorded. The checklist is written from its template first."""
    if role not in PARTIES:
        raise PolicyViolationError("Only the student and the supervisor tick items.", reason="role")
    if engagement.status not in TICKABLE_STATUSES:
        raise PolicyViolationError(
            "The checklist of a finished engagement no longer changes.", reason="not_active"
        )
    # the student and the supervisor may tick at once: the first tick writes the checklist,
    # so ticks of one engagement take turns (PostgreSQL; SQLite serialises writers already)
    db.session.execute(
        select(Engagement.id).where(Engagement.id == engagement.id).with_for_update()
    )
    items = stored_items(engagement)
    if not items:
        items = _from_template(engagement)
        db.session.add_all(items)
    item = next((row for row in items if row.position == position), None)
    if item is None:
        raise NotFoundError("That checklist item does not exist.", reason="no_item")
    if done and item.done_at is None:
        item.done_at, item.done_by, item.done_role = utcnow(), actor.name, role
    elif not done and item.done_at is not None:
        item.done_at = item.done_by = item.done_role = None
    db.session.flush()
    audit.record(
        actor,
        "workspace.checklist_ticked" if done else "workspace.checklist_unticked",
        engagement_id=engagement.id,
        item=item.label,
    )
    return item


def kickoff_done_at(engagement_id: int) -> dt.datetime | None:
    """When the engagement's kick-off call item was ticked, or None (not yet, or no such item)."""
    return db.session.scalar(
        select(ChecklistItem.done_at).where(
            ChecklistItem.engagement_id == engagement_id, ChecklistItem.kickoff.is_(True)
        )
    )


def _kickoff(
    engagement: Engagement, items: ShownItems | None
) -> ChecklistItem | TemplateItem | None:
    return next((item for item in items or checklist_of(engagement) if item.kickoff), None)


def hours_before_kickoff(
    engagement: Engagement, logs: Iterable[HourLog], items: ShownItems | None = None
) -> set[int]:
    """Ids of the logs of work done before the kick-off call: on a day (in the tenant's time
    zone) before the kick-off item was ticked, or any log while it is not ticked. Empty when
    the checklist has no kick-off item. ``items``: the checklist, when already read."""
    kickoff = _kickoff(engagement, items)
    if kickoff is None:
        return set()
    if kickoff.done_at is None:
        return {log.id for log in logs}
    held = day_in(kickoff.done_at, get_tenant(engagement.tenant_id).time_zone)
    return {log.id for log in logs if log.work_date < held}


@functools.cache
def _logs_before_statement() -> Any:
    """How many hour logs an engagement has on days before ``before``, built once."""
    return select(func.count(HourLog.id)).where(
        HourLog.tenant_id == bindparam("tenant_id"),
        HourLog.engagement_id == bindparam("engagement_id"),
        HourLog.work_date < bindparam("before"),
    )


def count_before_kickoff(
    engagement: Engagement, items: ShownItems, logged: dict[dt.date, int] | None = None
) -> int:
    """How many logs ``hours_before_kickoff`` finds, counted in SQL (``items``: the checklist;
    ``logged``: the engagement's logs by work day, when already read)."""
    kickoff = _kickoff(engagement, items)
    if kickoff is None:
        return 0
    before = dt.date.max
    if kickoff.done_at is not None:
        before = day_in(kickoff.done_at, get_tenant(engagement.tenant_id).time_zone)
    if logged is not None:
        return sum(n for day, n in logged.items() if day < before)
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id, "before": before}
    return int(db.session.scalar(_logs_before_statement(), params) or 0)


def kickoff_flags(engagement: Engagement, logs: Iterable[HourLog]) -> set[int]:
    """``hours_before_kickoff`` for the hour reviews' "Check" flags, once the engagement's
    checklist is in use (an item was ticked): an engagement that never used it is not
    flagged on every entry."""
    items = _shown_items(engagement)
    if not items:
        return set()
    return hours_before_kickoff(engagement, logs, items)
