"""Reading an import file whole: its text (size, encoding), then its records from CSV or
JSON-LD (``ImportFormatError`` when the file as a whole cannot be read)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from lti_tool.errors import AppError
from lti_tool.limits import MAX_IMPORT_JSON_DEPTH, JSONTooDeepError, json_loads
from lti_tool.text import storable

from .jobposting import from_job_posting

CSV_COLUMNS = (
    "external_id", "title", "employer", "employer_website", "summary", "description",
    "deliverables", "skills", "tags", "competencies", "estimated_hours", "compensation_type",
    "pay_amount", "currency", "location_type", "location", "application_deadline",
    "work_start", "work_end", "openings", "programs", "class_years", "work_authorization",
)  # fmt: skip
# An import file is read whole (the web page and the command line alike).
MAX_IMPORT_BYTES = 5 * 1024 * 1024
TOO_LARGE = "The file is larger than 5 MB, the limit for one import: nothing was read."


class ImportFormatError(AppError):
    """The file as a whole cannot be read (too large, not UTF-8, not JSON, nested too deeply,
    no header, no JobPosting)."""

    status = 400
    title = "The file could not be imported"


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


def csv_rows(
    text: str, check: Callable[[list[str]], None], *, lower: bool = False
) -> list[tuple[int, dict[str, str]]]:
    """(line number, record) pairs of a CSV file with a header row (``lower``: its names in
    lower case), each cell stripped; ``check(header)`` raises ImportFormatError for a header
    the import cannot use; ImportFormatError too when csv cannot read the file."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))  # csv reads \r, \n and \r\n
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
        header = [name.lower() for name in header] if lower else header
        check(header)
        reader.fieldnames = header
        return [
            (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
        ]
    except csv.Error as exc:  # e.g. a field over csv's size limit
        raise ImportFormatError(f"The file is not a readable CSV file ({exc}).") from exc


def _listing_header(header: list[str]) -> None:
    missing = {"external_id", "title"} - set(header)
    if missing:
        raise ImportFormatError(
            f"The CSV header lacks {', '.join(sorted(missing))}.",
            hint="The first row names the columns: " + ",".join(CSV_COLUMNS),
        )


def csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) pairs of a listings CSV file."""
    return list(csv_rows(text, _listing_header))


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
