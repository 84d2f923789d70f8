"""Listing imports: schema.org ``JobPosting`` JSON-LD and CSV.

Each record becomes a listing of source ``import`` keyed by its external id: a new id creates
a listing (the fair-work rule applies as for any listing), a known id updates it. Every record
runs in its own savepoint, so a bad record is reported (row number and reason) and leaves
nothing behind, and never blocks the good ones. The caller commits once.

CSV header (UTF-8, first row; only ``external_id``, ``title``, ``employer``,
``estimated_hours``, ``compensation_type`` and ``location_type`` are required)::

    external_id,title,employer,employer_website,summary,description,deliverables,skills,tags,
    competencies,estimated_hours,compensation_type,pay_amount,currency,location_type,location,
    application_deadline,work_start,work_end,openings,programs,class_years,work_authorization

Lists (skills, tags, competencies, programs, class_years) are separated by ``;``. Skills are
vocabulary ids or labels; anything else becomes a tag. ``pay_amount`` is in currency units
(``600`` or ``600.00``); dates are ``YYYY-MM-DD``; ``compensation_type`` is fixed, hourly or
unpaid; ``location_type`` remote, hybrid or onsite.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.limits import json_loads
from lti_tool.text import storable

from ..models import Listing
from ..vocabulary import skills
from .listings import ListingInput, create_listing, ensure_employer, update_listing

SOURCE = "import"
CSV_COLUMNS = (
    "external_id", "title", "employer", "employer_website", "summary", "description",
    "deliverables", "skills", "tags", "competencies", "estimated_hours", "compensation_type",
    "pay_amount", "currency", "location_type", "location", "application_deadline",
    "work_start", "work_end", "openings", "programs", "class_years", "work_authorization",
)  # fmt: skip
EMPLOYMENT_TYPES = {"INTERN", "CONTRACTOR", "TEMPORARY", "PART_TIME", "PER_DIEM", "OTHER"}


class ImportFormatError(AppError):
    """The file as a whole cannot be read (not JSON, no header, no JobPosting)."""

    status = 400
    title = "The file could not be imported"


class RowError(Exception):
    """One record is refused; the message says why, for the person who wrote the file."""


@dataclass(frozen=True)
class RowResult:
    row: int
    outcome: str  # created | updated | unchanged (profiles) | rejected
    external_id: str
    title: str
    reason: str = ""
    listing_id: int | None = None


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def summary(self) -> str:
        unchanged = self.count("unchanged")
        return (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            + (f"{unchanged} unchanged, " if unchanged else "")
            + f"{self.count('rejected')} rejected"
        )


# ---- reading files ---------------------------------------------------------------------------


def read_records(data: bytes | str, filename: str = "") -> list[tuple[int, dict[str, Any]]]:
    """(row number, record) pairs from a JSON-LD or CSV file, told apart by name or content.
    JSON-LD rows are numbered by position (1 = first JobPosting), CSV rows by line."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    looks_json = filename.lower().endswith((".json", ".jsonld")) or text.lstrip()[:1] in "[{"
    return jsonld_records(text) if looks_json else csv_records(text)


def csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        return _csv_records(text)
    except csv.Error as exc:  # e.g. a field over csv's size limit
        raise ImportFormatError(f"The file is not a readable CSV file ({exc}).") from exc


def _csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))  # csv reads \r, \n and \r\n itself
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = {"external_id", "title"} - set(header)
    if missing:
        raise ImportFormatError(
            f"The CSV header lacks {', '.join(sorted(missing))}.",
            hint="The first row names the columns: " + ",".join(CSV_COLUMNS),
        )
    reader.fieldnames = header
    return [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
    ]


def _is_job_posting(node: Any) -> bool:
    kind = node.get("@type") if isinstance(node, dict) else None
    return kind == "JobPosting" or (isinstance(kind, list) and "JobPosting" in kind)


def jsonld_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        doc = json_loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"The file is not valid JSON (line {exc.lineno}).") from exc
    if not storable(doc):
        raise ImportFormatError(
            "The file contains text that cannot be stored (a NUL character or a lone UTF-16 "
            "surrogate escape such as \\ud800)."
        )
    nodes = doc if isinstance(doc, list) else [doc]
    flat: list[Any] = []
    for node in nodes:
        graph = node.get("@graph") if isinstance(node, dict) else None
        flat.extend(graph if isinstance(graph, list) else [node])
    postings = [node for node in flat if _is_job_posting(node)]
    if not postings:
        raise ImportFormatError("The file holds no schema.org JobPosting.")
    return [(n, from_job_posting(node)) for n, node in enumerate(postings, start=1)]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or value.get("@id") or ""
    return str(value).strip() if value is not None else ""


def _listish(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [_text(i) for i in items if _text(i)]


def _money(posting: dict[str, Any]) -> tuple[str, str, str]:
    """(compensation_type, amount, currency) from baseSalary / estimatedSalary."""
    salary = posting.get("baseSalary", posting.get("estimatedSalary"))
    if isinstance(salary, list):
        salary = salary[0] if salary else None
    if salary is None:
        return "", "", ""
    if isinstance(salary, int | float | str):
        amount, unit, currency = salary, "", ""
    else:
        value = salary.get("value", "")
        unit = str(salary.get("unitText", "")).upper()
        if isinstance(value, dict):
            unit = str(value.get("unitText", unit)).upper()
            value = value.get("value", value.get("minValue", value.get("median", "")))
        amount, currency = value, str(salary.get("currency", ""))
    if str(amount).strip() in ("0", "0.0", "0.00"):
        return "unpaid", "", currency
    if unit in ("", "TOTAL", "PROJECT"):
        return "fixed", str(amount), currency
    if unit == "HOUR":
        return "hourly", str(amount), currency
    return f"per {unit.lower()}", str(amount), currency


def from_job_posting(posting: dict[str, Any]) -> dict[str, Any]:
    """A JobPosting as a record with the CSV's column names (values still unchecked)."""
    org = posting.get("hiringOrganization")
    location_type = ""
    place = ""
    remote = "TELECOMMUTE" in [t.upper() for t in _listish(posting.get("jobLocationType"))]
    locations = posting.get("jobLocation")
    if isinstance(locations, list):
        locations = locations[0] if locations else None
    if isinstance(locations, dict):
        address = locations.get("address") or {}
        if isinstance(address, dict):
            parts = (address.get("addressLocality"), address.get("addressRegion"))
            place = ", ".join(str(p) for p in parts if p)
        else:
            place = _text(address)
    if remote:
        location_type = "hybrid" if place else "remote"
    elif place:
        location_type = "onsite"
    hours = posting.get("estimatedHours") or posting.get("workHours") or ""
    compensation, amount, currency = _money(posting)
    return {
        "external_id": _text(posting.get("identifier") or posting.get("url") or
                             posting.get("@id")),
        "title": _text(posting.get("title")),
        "employer": _text(org) if not isinstance(org, dict) else _text(org.get("name")),
        "employer_website": _text(org.get("sameAs") or org.get("url"))
        if isinstance(org, dict) else "",
        "description": str(posting.get("description") or ""),
        "skills": ";".join(_listish(posting.get("skills"))),
        "estimated_hours": str(hours),
        "compensation_type": compensation,
        "pay_amount": amount,
        "currency": currency or "USD",
        "location_type": location_type,
        "location": place,
        "application_deadline": str(posting.get("validThrough") or "")[:10],
        "openings": str(posting.get("totalJobOpenings") or "1"),
        "work_authorization": _text(posting.get("eligibilityToWorkRequirement")),
        "employment_type": ";".join(_listish(posting.get("employmentType"))),
    }  # fmt: skip


# ---- checking one record ---------------------------------------------------------------------


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
        return int(Decimal(value) * 100)
    except InvalidOperation as exc:
        raise RowError(f"pay_amount {value!r} is not an amount.") from exc


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


def record_input(record: dict[str, Any], employer_id: int) -> ListingInput:
    """A record as the listing services' input; RowError says what is wrong."""
    kinds = {k.upper() for k in _split(record.get("employment_type", ""))}
    if kinds and not kinds & EMPLOYMENT_TYPES:
        raise RowError(f"Employment type {', '.join(sorted(kinds))} is not a micro-internship.")
    compensation = record.get("compensation_type", "")
    if not compensation:
        raise RowError("The pay is not stated (baseSalary, or compensation_type in CSV).")
    if compensation.startswith("per "):
        raise RowError(f"Pay {compensation} is not supported: give a total fee or an hourly rate.")
    skill_ids, tags = _skills_and_tags(record)
    return ListingInput(
        employer_id=employer_id, title=record.get("title", ""),
        estimated_hours=_int(record, "estimated_hours"), compensation_type=compensation,
        location_type=record.get("location_type", "") or "",
        pay_amount_cents=_pay_cents(record), currency=(record.get("currency") or "USD").upper(),
        summary=record.get("summary", ""), description_md=record.get("description", ""),
        deliverables=record.get("deliverables", ""), skills=skill_ids, tags=tags,
        competencies=_split(record.get("competencies", "")),
        application_deadline=_date(record, "application_deadline"),
        work_start=_date(record, "work_start"), work_end=_date(record, "work_end"),
        location=record.get("location", ""), openings=_int(record, "openings", default=1),
        programs=_split(record.get("programs", "")),
        class_years=_split(record.get("class_years", "")),
        work_authorization=record.get("work_authorization", ""),
    )  # fmt: skip


# ---- importing -------------------------------------------------------------------------------


def _import_one(tenant_id: int, record: dict[str, Any], actor: str) -> tuple[str, Listing]:
    external_id = record.get("external_id", "")
    if not external_id or len(external_id) > 255:
        raise RowError("The external id is missing (identifier, url or @id; CSV external_id).")
    if not record.get("employer"):
        raise RowError("The employer is missing (hiringOrganization; CSV employer).")
    employer = ensure_employer(
        tenant_id, record["employer"], actor, website=record.get("employer_website", "")[:500]
    )
    data = record_input(record, employer.id)
    existing = db.session.scalar(
        select(Listing.id).where(
            Listing.tenant_id == tenant_id,
            Listing.source == SOURCE,
            Listing.external_id == external_id,
        )
    )
    if existing is not None:
        return "updated", update_listing(tenant_id, existing, data, actor)
    listing = create_listing(
        tenant_id, data, actor, submit=True, source=SOURCE, external_id=external_id
    )
    return "created", listing


def import_listings(
    tenant_id: int,
    records: Iterable[tuple[int, dict[str, Any]]],
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update one listing per record; ``progress(n)`` after each record. Flushes;
    the caller commits."""
    report = ImportReport()
    for done, (row, record) in enumerate(records, start=1):
        external_id = str(record.get("external_id", ""))[:255]
        title = str(record.get("title", ""))[:200]
        try:
            with db.session.begin_nested():
                outcome, listing = _import_one(tenant_id, record, actor)
        except (RowError, AppError) as exc:
            reason = exc.message if isinstance(exc, AppError) else str(exc)
            report.results.append(RowResult(row, "rejected", external_id, title, reason))
        else:
            report.results.append(
                RowResult(row, outcome, external_id, listing.title, listing_id=listing.id)
            )
        if progress is not None:
            progress(done)
    return report
