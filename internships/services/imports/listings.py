"""Importing records as listings of source ``import``, one savepoint per record."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.errors import AppError
from lti_tool.extensions import db

from ...models import Listing
from ..listings import create_listing, ensure_employer, update_listing
from .jobposting import KEY_SOURCES
from .records import check_record
from .report import ImportReport, RowError, RowResult

SOURCE = "import"
DRAFT_NOTE = (
    "Imported as a draft: the file states no estimated hours, which a micro-internship needs. "
    "It waits for an advisor to add them (Manage listings, Drafts to complete)."
)


def _import_one(actor: Actor, record: dict[str, Any]) -> tuple[str, Listing, list[str], bool]:
    """(outcome, listing, notes, draft) of one record; RowError lists every problem."""
    checked = check_record(record)
    if checked.problems:
        raise RowError(*checked.problems)
    existing = db.session.scalar(
        select(Listing).where(
            Listing.tenant_id == actor.tenant,
            Listing.source == SOURCE,
            Listing.external_id == record["external_id"],
        )
    )
    data, notes, hours_pending = checked.data, [], False
    if checked.hours_missing and existing is not None and existing.estimated_hours > 0:
        data = replace(data, estimated_hours=existing.estimated_hours)
        notes.append(
            f"The file states no estimated hours: the listing keeps its "
            f"{existing.estimated_hours} hours."
        )
    elif checked.hours_missing:
        hours_pending = True
        notes.append(DRAFT_NOTE)
    employer = ensure_employer(
        actor, checked.employer, website=record.get("employer_website", "")[:500]
    )
    data = replace(data, employer_id=employer.id)
    if existing is not None:
        # A re-import publishes a draft only when the file now states its hours itself.
        submit = existing.status == "draft" and not checked.hours_missing
        listing = update_listing(
            actor, existing.id, data, submit=submit, hours_pending=hours_pending
        )
        return "updated", listing, notes, listing.status == "draft"
    listing = create_listing(
        actor, data, submit=not hours_pending, source=SOURCE,
        external_id=record["external_id"], hours_pending=hours_pending,
    )  # fmt: skip
    return "created", listing, notes, hours_pending


def import_listings(
    actor: Actor,
    records: Iterable[tuple[int, dict[str, Any]]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update one listing per record; ``progress(n)`` after each record. Flushes;
    the caller commits."""
    report = ImportReport()
    for done, (row, record) in enumerate(records, start=1):
        external_id = str(record.get("external_id", ""))[:255]
        title = str(record.get("title", ""))[:200]
        key_source = KEY_SOURCES.get(str(record.get("key_source") or "external_id"), "")
        try:
            with db.session.begin_nested():
                outcome, listing, notes, draft = _import_one(actor, record)
        except (RowError, AppError) as exc:
            problems = exc.problems if isinstance(exc, RowError) else [exc.message]
            report.results.append(
                RowResult(row, "rejected", external_id, title, "\n".join(problems),
                          key_source=key_source)
            )  # fmt: skip
        else:
            report.results.append(
                RowResult(row, outcome, external_id, listing.title, listing_id=listing.id,
                          key_source=key_source, notes=tuple(notes), draft=draft)
            )  # fmt: skip
        if progress is not None:
            progress(done)
    return report
