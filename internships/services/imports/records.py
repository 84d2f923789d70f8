"""Checking one record: every problem at once, in the file's wording first, then the listing
rules; writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ...vocabulary import skills
from ..listing_rules import ListingInput, listing_problems
from .report import RowError

EMPLOYMENT_TYPES = {"INTERN", "CONTRACTOR", "TEMPORARY", "PART_TIME", "PER_DIEM", "OTHER"}
MAX_PAY = 1_000_000  # currency units: anything larger is a mistake in the file


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _date(record: dict[str, Any], name: str) -> dt.date | None:
    value = record.get(name) or ""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RowError(f"{name} {value!r} is not a date (YYYY-MM-DD).") from exc


def _int(record: dict[str, Any], name: str, default: int | None = None) -> int:
    value = str(record.get(name) or "").strip()
    match = re.match(r"^\s*(\d+)", value)
    if match:
        return int(match.group(1))
    if default is not None and not value:
        return default
    raise RowError(f"{name} {value!r} is not a whole number." if value else f"{name} is missing.")


def _pay_cents(record: dict[str, Any]) -> int | None:
    value = str(record.get("pay_amount") or "").replace(",", "").strip()
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise RowError(f"pay_amount {value!r} is not an amount.") from exc
    if not amount.is_finite() or not 0 <= amount <= MAX_PAY:
        raise RowError(f"pay_amount {value!r} is not an amount between 0 and {MAX_PAY:,}.")
    return int(amount * 100)


def _skills_and_tags(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    vocabulary = skills()
    by_label = {s.label.lower(): s.id for s in vocabulary.values()}
    chosen: list[str] = []
    tags = _split(record.get("tags", ""))
    for item in _split(record.get("skills", "")):
        skill_id = item if item in vocabulary else by_label.get(item.lower())
        if skill_id:
            chosen.append(skill_id)
        else:
            tags.append(item)
    return chosen, tags


@dataclass
class CheckedRecord:
    """A record as the listing services' input (``employer_id`` still 0), and everything wrong
    with it; ``hours_missing``: the record states no estimated hours."""

    data: ListingInput
    employer: str
    problems: list[str]
    hours_missing: bool


class _Problems:
    """Everything wrong with a record so far, and the listing fields already reported (the
    listing rules then skip them)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.reported: set[str] = set()

    def attempt(self, name: str, read: Callable[[], Any], default: Any) -> Any:
        """``read()``, or ``default`` with its problems noted against field ``name``."""
        try:
            return read()
        except RowError as exc:
            self.messages.extend(exc.problems)
            self.reported.add(name)
            return default


def _check_identity(record: dict[str, Any], found: _Problems) -> tuple[str, str]:
    """(employer, title) after checking the external id, employer and title."""
    external_id = str(record.get("external_id") or "")
    if not external_id:
        found.messages.append("The external id is missing (CSV external_id).")
    elif len(external_id) > 255:
        found.messages.append("The external id is longer than 255 characters.")
    employer = " ".join(str(record.get("employer") or "").split())
    if not employer:
        found.messages.append("The employer is missing (hiringOrganization; CSV employer).")
    elif not 2 <= len(employer) <= 200:
        found.messages.append("The employer's name must be 2 to 200 characters long.")
    title = str(record.get("title") or "").strip()
    if not title:
        found.messages.append("The title is missing (title).")
        found.reported.add("title")
    return employer, title


def _check_terms(record: dict[str, Any], found: _Problems) -> str:
    """The compensation type after checking the employment type and the pay."""
    kinds = {k.upper() for k in _split(record.get("employment_type", ""))}
    if kinds and not kinds & EMPLOYMENT_TYPES:
        found.messages.append(
            f"Employment type {', '.join(sorted(kinds))} is not a micro-internship."
        )
    compensation = str(record.get("compensation_type") or "")
    if not compensation or compensation.startswith("per "):
        found.messages.append(
            f"Pay {compensation} is not supported: give a total fee or an hourly rate."
            if compensation
            else "The pay is not stated (baseSalary, or compensation_type in CSV)."
        )
        found.reported.update(("compensation_type", "pay_amount_cents"))
    return compensation


def _listing_input(
    record: dict[str, Any], title: str, compensation: str, hours: int, found: _Problems
) -> ListingInput:
    attempt = found.attempt
    skill_ids, tags = _skills_and_tags(record)
    return ListingInput(
        employer_id=0, title=title, estimated_hours=hours, compensation_type=compensation,
        location_type=record.get("location_type", "") or "",
        pay_amount_cents=attempt("pay_amount_cents", lambda: _pay_cents(record), None),
        currency=(record.get("currency") or "USD").upper(),
        summary=record.get("summary", ""), description_md=record.get("description", ""),
        deliverables=record.get("deliverables", ""), skills=skill_ids, tags=tags,
        competencies=_split(record.get("competencies", "")),
        application_deadline=attempt(
            "application_deadline", lambda: _date(record, "application_deadline"), None
        ),
        work_start=attempt("work_start", lambda: _date(record, "work_start"), None),
        work_end=attempt("work_end", lambda: _date(record, "work_end"), None),
        location=record.get("location", ""),
        openings=attempt("openings", lambda: _int(record, "openings", default=1), 1),
        programs=_split(record.get("programs", "")),
        class_years=_split(record.get("class_years", "")),
        work_authorization=record.get("work_authorization", ""),
    )  # fmt: skip


def check_record(record: dict[str, Any]) -> CheckedRecord:
    """Every problem of a record at once (the file's wording first, then the listing rules for
    fields not reported already); writes nothing."""
    found = _Problems()
    employer, title = _check_identity(record, found)
    compensation = _check_terms(record, found)
    hours_missing = not str(record.get("estimated_hours") or "").strip()
    hours = (
        0
        if hours_missing
        else found.attempt("estimated_hours", lambda: _int(record, "estimated_hours"), 0)
    )
    data = _listing_input(record, title, compensation, hours, found)
    problems = found.messages + [
        message
        for name, message in listing_problems(data, hours_pending=hours_missing)
        if name not in found.reported
    ]
    return CheckedRecord(data, employer, problems, hours_missing)
