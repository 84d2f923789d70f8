"""The fair-work rule and a listing's checks: what a listing holds (ListingInput), the pay floor,
the effective hourly rate, why a listing needs an advisor's approval, and the problems that
refuse it (ListingInvalidError).

Fair-work rule: a listing that is unpaid, pays less per hour than the tenant's pay floor
(``tenant.settings["pay_floor_cents"]``, default 1500 = $15.00 an hour) or pays in another
currency than the tenant's needs an advisor's approval before students see it; approving an
unpaid listing records a justification for each of the seven DOL Fact Sheet #71 factors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from lti_tool.errors import PolicyViolationError
from lti_tool.models import Tenant
from lti_tool.words import money

from ..models import COMPENSATION_TYPES, LOCATION_TYPES, Listing
from ..vocabulary import COMPETENCIES, skills

DEFAULT_PAY_FLOOR_CENTS = 1500
CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD")
MAX_TAGS, MAX_TAG_LENGTH = 20, 40
MIN_JUSTIFICATION = 20  # characters per Fact Sheet #71 factor


class ListingInvalidError(PolicyViolationError):
    """A listing field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


@dataclass
class ListingInput:
    """What an advisor (or an import) says about a listing; money in minor units."""

    employer_id: int
    title: str
    estimated_hours: int
    compensation_type: str
    location_type: str
    pay_amount_cents: int | None = None
    currency: str = "USD"
    summary: str = ""
    description_md: str = ""
    deliverables: str = ""
    skills: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    competencies: list[str] = field(default_factory=list)
    application_deadline: dt.date | None = None
    work_start: dt.date | None = None
    work_end: dt.date | None = None
    location: str = ""
    openings: int = 1
    programs: list[str] = field(default_factory=list)
    class_years: list[str] = field(default_factory=list)
    work_authorization: str = ""


def effective_rate_cents(compensation_type: str, pay_cents: int | None, hours: int) -> int:
    """What a student earns per hour: fixed fee / estimated hours, the hourly rate, or 0."""
    if compensation_type == "unpaid" or not pay_cents:
        return 0
    if compensation_type == "fixed":
        return round(pay_cents / max(hours, 1))
    return pay_cents


def pay_floor_cents(tenant: Tenant) -> int:
    value = (tenant.settings or {}).get("pay_floor_cents", DEFAULT_PAY_FLOOR_CENTS)
    return int(value) if isinstance(value, int | float) and value >= 0 else DEFAULT_PAY_FLOOR_CENTS


def approval_reason(listing: Listing, tenant: Tenant) -> str | None:
    """Why this listing needs an advisor's approval, or None when it does not."""
    if listing.compensation_type == "unpaid":
        return "It is unpaid."
    if listing.currency != (tenant.settings or {}).get("currency", "USD"):
        return f"It pays in {listing.currency}, which the pay floor cannot be checked against."
    floor = pay_floor_cents(tenant)
    if listing.effective_rate_cents < floor:
        return (
            f"It pays {money(listing.effective_rate_cents, listing.currency, whole=True)} an "
            f"hour, below the pay floor of {money(floor, listing.currency, whole=True)}."
        )
    return None


def _clean_list(values: list[str], allowed: Any, field_name: str, what: str) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in allowed:
            raise ListingInvalidError(field_name, f"{value!r} is not a known {what}.")
        if value not in out:
            out.append(value)
    return out


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in (t.strip().lower() for t in tags):
        if not tag or tag in out:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ListingInvalidError("tags", f"Keep each tag under {MAX_TAG_LENGTH} characters.")
        out.append(tag)
    if len(out) > MAX_TAGS:
        raise ListingInvalidError("tags", f"Use at most {MAX_TAGS} tags.")
    return out


def listing_problems(data: ListingInput, *, hours_pending: bool = False) -> list[tuple[str, str]]:
    """Every (field, message) the listing rules refuse in ``data``, in form order; with
    ``hours_pending`` the estimated hours may still be 0 (an imported draft an advisor has to
    complete)."""
    hours_ok = 1 <= data.estimated_hours <= 400 or (hours_pending and data.estimated_hours == 0)
    checks = (
        ("title", 3 <= len(data.title.strip()) <= 200, "Give a title of 3 to 200 characters."),
        ("summary", len(data.summary) <= 500, "Keep the summary under 500 characters."),
        ("estimated_hours", hours_ok, "Estimate between 1 and 400 hours."),
        ("openings", 1 <= data.openings <= 100, "Offer between 1 and 100 openings."),
        (
            "compensation_type",
            data.compensation_type in COMPENSATION_TYPES,
            "Choose fixed fee, hourly or unpaid.",
        ),
        (
            "pay_amount_cents",
            data.compensation_type == "unpaid" or (data.pay_amount_cents or 0) > 0,
            "Enter the amount paid, or choose unpaid.",
        ),
        ("currency", data.currency in CURRENCIES, "Choose a currency from the list."),
        (
            "location_type",
            data.location_type in LOCATION_TYPES,
            "Choose remote, hybrid or on site.",
        ),
        (
            "location",
            data.location_type not in ("hybrid", "onsite") or bool(data.location.strip()),
            "Say where the work happens (city, campus or address).",
        ),
        (
            "work_end",
            not (data.work_start and data.work_end and data.work_end < data.work_start),
            "The work cannot end before it starts.",
        ),
        (
            "application_deadline",
            not (
                data.application_deadline
                and data.work_start
                and data.application_deadline > data.work_start
            ),
            "Applications must close on or before the day work starts.",
        ),
    )
    problems = [(field_name, message) for field_name, ok, message in checks if not ok]
    for name, values, allowed, what in (
        ("skills", data.skills, skills(), "skill"),
        ("competencies", data.competencies, COMPETENCIES, "competency"),
    ):
        problems += [(name, f"{value!r} is not a known {what}.") for value in values
                     if value not in allowed]  # fmt: skip
    try:
        _clean_tags(data.tags)
    except ListingInvalidError as exc:
        problems.append((exc.field or "", exc.message))
    return problems


def _validate(data: ListingInput, *, hours_pending: bool = False) -> None:
    problems = listing_problems(data, hours_pending=hours_pending)
    if problems:
        raise ListingInvalidError(*problems[0])
