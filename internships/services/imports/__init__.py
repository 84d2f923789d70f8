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

from .files import (
    CSV_COLUMNS,
    MAX_IMPORT_BYTES,
    TOO_LARGE,
    ImportFormatError,
    csv_records,
    csv_rows,
    decode_file,
    jsonld_records,
    read_records,
)
from .jobposting import KEY_SOURCES, from_job_posting, posting_key
from .listings import SOURCE, import_listings
from .records import CheckedRecord, check_record
from .report import ImportReport, RowError, RowResult

__all__ = [
    "CSV_COLUMNS",
    "KEY_SOURCES",
    "MAX_IMPORT_BYTES",
    "SOURCE",
    "TOO_LARGE",
    "CheckedRecord",
    "ImportFormatError",
    "ImportReport",
    "RowError",
    "RowResult",
    "check_record",
    "csv_records",
    "csv_rows",
    "decode_file",
    "from_job_posting",
    "import_listings",
    "jsonld_records",
    "posting_key",
    "read_records",
]
