"""A data subject's rights (FERPA; GDPR outside the US): export everything held about one person,
pseudonymise them, or erase them. Which rows are theirs is read from the schema
(``schema.user_references``), so tables added later are covered without changes here.

- Rows *owned* by the person: a foreign key to ``lti_user`` in a column named ``student_id`` or
  ``user_id``, and rows hanging off such a row (an engagement's deliverables, an evaluation's
  ratings). Rows that only *mention* them (another foreign key to ``lti_user``, e.g. the
  author of a note) are exported but belong to someone else.
- Free text in owned rows: ``Text`` columns, ``String`` columns of 500 characters or more, file
  names, JSON objects of strings (answers to prompts), and columns marked
  ``info={"personal": "free_text"}`` (``"keep"`` opts out). Shorter strings keep their value
  with the person's name, email and LMS id replaced by the pseudonym; columns that record who
  acted (``*_by``, "Name <email> (user N)") name the pseudonym in every table of the tenant.
- Files: columns named ``*_path`` hold a name under UPLOADS_DIR.

Pseudonymise keeps every row (so hours totals, ratings and credit stay in the aggregates),
replaces name, email and ``sub`` with a stable pseudonym, clears free text, deletes files and
open sessions, and rewrites the audit trail to name the pseudonym. Erase does the same, then
deletes every owned row and the person. Each operation writes an audit entry with counts only.
Services flush; the caller commits.
"""

from __future__ import annotations

from ...errors import PolicyViolationError
from .erasure import erase, erasure_blockers, pseudonym_for, pseudonymise
from .export import export_zip
from .holdings import (
    PSEUDONYM_PREFIX,
    Holdings,
    Outcome,
    collect,
    find_in_tenant,
    find_person,
    get_person,
    upload_path,
    uploads_root,
)

__all__ = [
    "PSEUDONYM_PREFIX",
    "Holdings",
    "Outcome",
    "PolicyViolationError",
    "collect",
    "erase",
    "erasure_blockers",
    "export_zip",
    "find_in_tenant",
    "find_person",
    "get_person",
    "pseudonym_for",
    "pseudonymise",
    "upload_path",
    "uploads_root",
]
