"""The advisor's import of program, class year and expected graduation from a CSV exported
by the student information system (see docs/imports.md).

Header (first row; order free, names case-insensitive)::

    lms_user_id,email,program,class_year,expected_graduation

A row names the student by ``lms_user_id`` (the LMS user id that launches carry, LTI ``sub``)
or, failing that, by ``email``; the student must have opened Career Credit as a student at
least once. An empty cell leaves that field as it is. Each row is saved in its own savepoint:
a bad row is reported with its line number and every problem it has, never blocks the others,
and never leaves a half-written profile."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select

from lti_tool.actor import Actor
from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.models import Enrolment, User
from lti_tool.services import audit

from ..services.imports import (
    ImportFormatError,
    ImportReport,
    RowError,
    RowResult,
    csv_rows,
    decode_file,
)
from ..vocabulary import CLASS_YEARS
from .models import StudentProfile

CSV_COLUMNS = ("lms_user_id", "email", "program", "class_year", "expected_graduation")
FIELDS = ("program", "class_year", "expected_graduation")
CLASS_YEAR_SYNONYMS = {
    "1": "First year", "fr": "First year", "freshman": "First year", "first-year": "First year",
    "2": "Second year", "so": "Second year", "sophomore": "Second year",
    "3": "Third year", "jr": "Third year", "junior": "Third year",
    "4": "Fourth year", "sr": "Fourth year", "senior": "Fourth year",
    "5": "Graduate", "gr": "Graduate", "grad": "Graduate", "graduate student": "Graduate",
}  # fmt: skip


def _profile_header(header: list[str]) -> None:
    hint = "The first row names the columns: " + ",".join(CSV_COLUMNS)
    if not {"lms_user_id", "email"} & set(header):
        raise ImportFormatError("The CSV header needs lms_user_id or email.", hint=hint)
    if not set(FIELDS) & set(header):
        raise ImportFormatError(
            "The CSV header names none of program, class_year, expected_graduation.", hint=hint
        )


def csv_records(data: bytes | str) -> list[tuple[int, dict[str, str]]]:
    """(line number, record) pairs; ImportFormatError when the file or its header is
    unusable."""
    return csv_rows(decode_file(data), _profile_header, lower=True)


def class_year(value: str) -> str:
    """A class year of the profile's list, from its name or a usual SIS code."""
    for year in CLASS_YEARS:
        if value.casefold() == year.casefold():
            return year
    found = CLASS_YEAR_SYNONYMS.get(value.casefold())
    if found is None:
        raise RowError(
            f"class_year {value!r} is not one of: {', '.join(CLASS_YEARS)} "
            "(or FR, SO, JR, SR, GR, 1 to 4)."
        )
    return found


def graduation(value: str) -> dt.date:
    """YYYY-MM-DD, or YYYY-MM (the first of the month)."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", value)
    try:
        if not match:
            raise ValueError(value)
        year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise RowError(
            f"expected_graduation {value!r} is not a date (YYYY-MM-DD or YYYY-MM)."
        ) from exc
    if not 1990 <= date.year <= 2100:
        raise RowError(f"expected_graduation {value!r} is not a plausible year.")
    return date


def _students(tenant_id: int) -> Any:
    return select(Enrolment.user_id).where(
        Enrolment.tenant_id == tenant_id, Enrolment.role == "student"
    )


def find_student(tenant_id: int, record: dict[str, str]) -> User:
    """The student a row names, by LMS user id, else by email (must be unambiguous)."""
    sub, email = record.get("lms_user_id", ""), record.get("email", "")
    if not sub and not email:
        raise RowError("The row names no student: give lms_user_id or email.")
    if sub:
        user = db.session.scalar(select(User).where(User.tenant_id == tenant_id, User.sub == sub))
        if user is None:
            raise RowError(
                f"No student with LMS user id {sub!r} has opened Career Credit yet; import "
                "the row again after their first launch."
            )
    else:
        users = db.session.scalars(
            select(User).where(
                User.tenant_id == tenant_id, func.lower(User.email) == email.casefold()
            )
        ).all()
        if len(users) > 1:
            raise RowError(f"Several people share the email {email!r}: give lms_user_id.")
        if not users:
            raise RowError(
                f"No student with email {email!r} has opened Career Credit yet; import the "
                "row again after their first launch."
            )
        user = users[0]
    is_student = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.tenant_id == tenant_id,
            Enrolment.user_id == user.id,
            Enrolment.role == "student",
        )
    )
    if is_student is None:
        raise RowError("This person is not a student in any course here.")
    return user


def _values(record: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The row's values, and every problem with them."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    if record.get("program"):
        if len(record["program"]) > 200:
            problems.append("program is longer than 200 characters.")
        else:
            values["program"] = " ".join(record["program"].split())
    for name, read in (("class_year", class_year), ("expected_graduation", graduation)):
        if record.get(name):
            try:
                values[name] = read(record[name])
            except RowError as exc:
                problems.extend(exc.problems)
    if not values and not problems:
        problems.append("The row gives no program, class_year or expected_graduation.")
    return values, problems


def _import_one(actor: Actor, record: dict[str, str]) -> tuple[str, User]:
    tenant_id = actor.tenant
    values, problems = _values(record)
    try:
        user = find_student(tenant_id, record)
    except RowError as exc:
        problems = [*exc.problems, *problems]
    if problems:
        raise RowError(*problems)
    profile = db.session.scalar(
        select(StudentProfile).where(
            StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == user.id
        )
    )
    outcome = "updated"
    if profile is None:
        outcome = "created"
        profile = StudentProfile.empty(tenant_id, user.id)
        db.session.add(profile)
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    if not changed and outcome == "updated":
        return "unchanged", user
    for name in changed:
        setattr(profile, name, values[name])
    db.session.flush()
    # Field names only: the values are the student's record, not the audit trail's.
    audit.record(actor, "profile.import", user_id=user.id, fields=changed)
    return outcome, user


def import_profiles(
    actor: Actor,
    records: Iterable[tuple[int, dict[str, str]]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update one student profile per row; ``progress(n)`` after each row.
    Flushes; the caller commits."""
    report = ImportReport()
    for done, (row, record) in enumerate(records, start=1):
        key = record.get("lms_user_id") or record.get("email") or ""
        try:
            with db.session.begin_nested():
                outcome, user = _import_one(actor, record)
        except (RowError, AppError) as exc:
            problems = exc.problems if isinstance(exc, RowError) else [exc.message]
            report.results.append(RowResult(row, "rejected", key[:255], "", "\n".join(problems)))
        else:
            report.results.append(RowResult(row, outcome, key[:255], user.name))
        if progress is not None:
            progress(done)
    return report
