"""Listing imports: schema.org ``JobPosting`` JSON-LD and CSV.

Each record becomes a listing of source ``import`` keyed by its external id: a new id creates
a listing (the fair-work rule applies as for any listing), a known id updates it. A JobPosting
without ``identifier``, ``url`` or ``@id`` (common in published feeds) is keyed by its employer,
title and ``datePosted`` (normalised), failing those by a hash of its content; the report says
which key each row used. Every record runs in its own savepoint, so a bad record is reported
(row number and every problem it has) and leaves nothing behind, and never blocks the good
ones. A record complete except for its estimated hours (what only a micro-internship needs)
becomes a draft that waits for an advisor to add them. The caller commits once.

Files over ``MAX_IMPORT_BYTES`` and JSON nested deeper than ``MAX_IMPORT_JSON_DEPTH`` are
refused whole, with a message.

CSV header (UTF-8, first row; ``external_id``, ``title``, ``employer``, ``compensation_type``
and ``location_type`` are required, ``estimated_hours`` too unless the row is to be a draft)::

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
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.limits import MAX_IMPORT_JSON_DEPTH, JSONTooDeepError, json_loads
from lti_tool.text import storable

from ..models import Listing
from ..vocabulary import skills
from .listings import (
    ListingInput,
    create_listing,
    ensure_employer,
    listing_problems,
    update_listing,
)

SOURCE = "import"
CSV_COLUMNS = (
    "external_id", "title", "employer", "employer_website", "summary", "description",
    "deliverables", "skills", "tags", "competencies", "estimated_hours", "compensation_type",
    "pay_amount", "currency", "location_type", "location", "application_deadline",
    "work_start", "work_end", "openings", "programs", "class_years", "work_authorization",
)  # fmt: skip
EMPLOYMENT_TYPES = {"INTERN", "CONTRACTOR", "TEMPORARY", "PART_TIME", "PER_DIEM", "OTHER"}
MAX_PAY = 1_000_000  # currency units: anything larger is a mistake in the file
# An import file is read whole (the web page and the command line alike).
MAX_IMPORT_BYTES = 5 * 1024 * 1024
TOO_LARGE = "The file is larger than 5 MB, the limit for one import: nothing was read."
DERIVED, CONTENT_HASH = "derived", "content"
KEY_SOURCES = {
    "external_id": "external_id",
    "identifier": "identifier",
    "url": "url",
    "@id": "@id",
    DERIVED: "derived from employer, title and date posted",
    CONTENT_HASH: "a hash of the posting's content (it has no identifier, url or @id, nor "
    "employer, title and date posted): a changed posting imports as a new listing",
}
DRAFT_NOTE = (
    "Imported as a draft: the file states no estimated hours, which a micro-internship needs. "
    "It waits for an advisor to add them (Manage listings, Drafts to complete)."
)


class ImportFormatError(AppError):
    """The file as a whole cannot be read (too large, not UTF-8, not JSON, nested too deeply,
    no header, no JobPosting)."""

    status = 400
    title = "The file could not be imported"


class RowError(Exception):
    """One record is refused; each message says one thing wrong with it, for the person who
    wrote the file."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RowResult:
    row: int
    outcome: str  # created | updated | unchanged (profiles) | rejected
    external_id: str
    title: str
    reason: str = ""  # a rejected row's problems, one per line
    listing_id: int | None = None
    key_source: str = ""  # which field(s) the key came from (KEY_SOURCES)
    notes: tuple[str, ...] = ()  # what a person should know about an imported row
    draft: bool = False  # imported as a draft that waits for an advisor

    @property
    def problems(self) -> list[str]:
        return self.reason.splitlines()


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def drafts(self) -> int:
        return sum(1 for r in self.results if r.draft)

    @property
    def summary(self) -> str:
        unchanged, drafts = self.count("unchanged"), self.drafts
        return (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            + (f"{unchanged} unchanged, " if unchanged else "")
            + f"{self.count('rejected')} rejected"
            + (f"; {drafts} {'draft waits' if drafts == 1 else 'drafts wait'} for an advisor "
               "to add the estimated hours" if drafts else "")
        )  # fmt: skip


# ---- reading files ---------------------------------------------------------------------------


def decode_file(data: bytes | str) -> str:
    """The text of an import file; ImportFormatError when over ``MAX_IMPORT_BYTES``, not UTF-8
    or not text."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_IMPORT_BYTES:
        raise ImportFormatError(TOO_LARGE, hint="Split the file and import each part.")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read).",
            hint="Save or export the file as UTF-8 and import it again.",
        ) from exc
    if "\x00" in text:
        raise ImportFormatError("The file contains NUL characters: it is not a text file.")
    return text


def read_records(data: bytes | str, filename: str = "") -> list[tuple[int, dict[str, Any]]]:
    """(row number, record) pairs from a JSON-LD or CSV file, told apart by name or content.
    JSON-LD rows are numbered by position (1 = first JobPosting), CSV rows by line."""
    text = decode_file(data)
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
        doc = json_loads(text, max_depth=MAX_IMPORT_JSON_DEPTH)
    except JSONTooDeepError as exc:
        raise ImportFormatError(
            f"The file is not valid JSON for an import: it nests more than "
            f"{MAX_IMPORT_JSON_DEPTH} levels deep, which no JobPosting feed needs.",
            hint="Check that the file is a JobPosting feed (a posting, a list or an @graph).",
        ) from exc
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
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
    if isinstance(value, list):
        value = value[0] if value else ""
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
    if salary is None or salary == "":
        return "", "", ""
    if not isinstance(salary, dict):
        amount, unit, currency = salary, "", ""
    else:
        value = salary.get("value", "")
        unit = _text(salary.get("unitText", "")).upper()
        if isinstance(value, dict):
            unit = _text(value.get("unitText", unit)).upper()
            value = value.get("value", value.get("minValue", value.get("median", "")))
        amount, currency = value, _text(salary.get("currency", ""))
    if str(amount).strip() in ("0", "0.0", "0.00"):
        return "unpaid", "", currency
    if unit in ("", "TOTAL", "PROJECT"):
        return "fixed", str(amount), currency
    if unit == "HOUR":
        return "hourly", str(amount), currency
    return f"per {unit.lower()}", str(amount), currency


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())


def posting_key(posting: dict[str, Any], employer: str, title: str) -> tuple[str, str]:
    """(key, source) of a JobPosting: its identifier, url or @id; else derived from the
    employer, title and date posted (normalised, so a re-import finds it); else a hash of the
    posting's content."""
    for name in ("identifier", "url", "@id"):
        value = _text(posting.get(name))
        if value:
            return value, name
    posted = _text(posting.get("datePosted"))[:10]
    if employer and title and posted:
        key = " | ".join((_norm(employer), _norm(title), posted))
        if len(key) > 255:
            key = "derived:sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key, DERIVED
    canonical = json.dumps(posting, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest(), (
        CONTENT_HASH
    )


def from_job_posting(posting: dict[str, Any]) -> dict[str, Any]:
    """A JobPosting as a record with the CSV's column names (values still unchecked), plus
    ``key_source`` (which field the external id came from)."""
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
            place = ", ".join(_text(p) for p in parts if p)
        else:
            place = _text(address)
    if remote:
        location_type = "hybrid" if place else "remote"
    elif place:
        location_type = "onsite"
    hours = posting.get("estimatedHours")
    if hours is None or hours == "":
        # workHours is free text ("20 hours in total", "Flexible"): only a number counts
        work_hours = _text(posting.get("workHours"))
        hours = work_hours if re.match(r"\s*\d", work_hours) else ""
    compensation, amount, currency = _money(posting)
    employer = _text(org) if not isinstance(org, dict) else _text(org.get("name"))
    title = _text(posting.get("title"))
    key, key_source = posting_key(posting, employer, title)
    return {
        "external_id": key,
        "key_source": key_source,
        "title": title,
        "employer": employer,
        "employer_website": _text(org.get("sameAs") or org.get("url"))
        if isinstance(org, dict) else "",
        "description": str(posting.get("description") or ""),
        "skills": ";".join(_listish(posting.get("skills"))),
        "estimated_hours": _text(hours),
        "compensation_type": compensation,
        "pay_amount": amount,
        "currency": currency or "USD",
        "location_type": location_type,
        "location": place,
        "application_deadline": _text(posting.get("validThrough"))[:10],
        "openings": _text(posting.get("totalJobOpenings") or "1"),
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


def check_record(record: dict[str, Any]) -> CheckedRecord:
    """Every problem of a record at once (the file's wording first, then the listing rules for
    fields not reported already); writes nothing."""
    problems: list[str] = []
    reported: set[str] = set()  # listing fields with a problem already

    def attempt(name: str, read: Callable[[], Any], default: Any) -> Any:
        try:
            return read()
        except RowError as exc:
            problems.extend(exc.problems)
            reported.add(name)
            return default

    external_id = str(record.get("external_id") or "")
    if not external_id:
        problems.append("The external id is missing (CSV external_id).")
    elif len(external_id) > 255:
        problems.append("The external id is longer than 255 characters.")
    employer = " ".join(str(record.get("employer") or "").split())
    if not employer:
        problems.append("The employer is missing (hiringOrganization; CSV employer).")
    elif not 2 <= len(employer) <= 200:
        problems.append("The employer's name must be 2 to 200 characters long.")
    title = str(record.get("title") or "").strip()
    if not title:
        problems.append("The title is missing (title).")
        reported.add("title")
    kinds = {k.upper() for k in _split(record.get("employment_type", ""))}
    if kinds and not kinds & EMPLOYMENT_TYPES:
        problems.append(f"Employment type {', '.join(sorted(kinds))} is not a micro-internship.")
    compensation = str(record.get("compensation_type") or "")
    if not compensation or compensation.startswith("per "):
        problems.append(
            f"Pay {compensation} is not supported: give a total fee or an hourly rate."
            if compensation
            else "The pay is not stated (baseSalary, or compensation_type in CSV)."
        )
        reported.update(("compensation_type", "pay_amount_cents"))
    hours_missing = not str(record.get("estimated_hours") or "").strip()
    hours = (
        0
        if hours_missing
        else attempt("estimated_hours", lambda: _int(record, "estimated_hours"), 0)
    )
    skill_ids, tags = _skills_and_tags(record)
    data = ListingInput(
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
    problems += [
        message
        for name, message in listing_problems(data, hours_pending=hours_missing)
        if name not in reported
    ]
    return CheckedRecord(data, employer, problems, hours_missing)


# ---- importing -------------------------------------------------------------------------------


def _import_one(
    tenant_id: int, record: dict[str, Any], actor: str
) -> tuple[str, Listing, list[str], bool]:
    """(outcome, listing, notes, draft) of one record; RowError lists every problem."""
    checked = check_record(record)
    if checked.problems:
        raise RowError(*checked.problems)
    existing = db.session.scalar(
        select(Listing).where(
            Listing.tenant_id == tenant_id,
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
        tenant_id, checked.employer, actor, website=record.get("employer_website", "")[:500]
    )
    data = replace(data, employer_id=employer.id)
    if existing is not None:
        # A re-import publishes a draft only when the file now states its hours itself.
        submit = existing.status == "draft" and not checked.hours_missing
        listing = update_listing(
            tenant_id, existing.id, data, actor, submit=submit, hours_pending=hours_pending
        )
        return "updated", listing, notes, listing.status == "draft"
    listing = create_listing(
        tenant_id, data, actor, submit=not hours_pending, source=SOURCE,
        external_id=record["external_id"], hours_pending=hours_pending,
    )  # fmt: skip
    return "created", listing, notes, hours_pending


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
        key_source = KEY_SOURCES.get(str(record.get("key_source") or "external_id"), "")
        try:
            with db.session.begin_nested():
                outcome, listing, notes, draft = _import_one(tenant_id, record, actor)
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
