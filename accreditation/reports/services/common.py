"""What every advisor report shares: terms (from the courses' LMS term data), tables that are
rendered as HTML and exported as CSV, and the CSV writer that defuses spreadsheet formulas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVarTuple

from sqlalchemy import Select, bindparam, func, select, text

from internships.models import Employer, Listing
from internships.work.models import Engagement
from lti_tool import csvsafe
from lti_tool.extensions import db
from lti_tool.models import Course

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Term:
    """A term as the LMS names it, with the span of its courses' dates (None when unknown)."""

    name: str
    start: dt.date | None
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return bool(self.start and self.end and self.start <= day <= self.end)

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime] | None:
        """[start, end + 1 day) as datetimes, for created_at comparisons."""
        if not (self.start and self.end):
            return None
        return (
            dt.datetime.combine(self.start, dt.time()),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()),
        )


def with_placement(stmt: Select[*Ts]) -> Select[*Ts]:
    """``stmt`` over engagements, joined to each engagement's listing and employer, and to its
    course when it has one."""
    return (
        stmt.join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(Course, Course.id == Engagement.course_id)
    )


def _date(value: str | None) -> dt.date | None:
    """An LMS term date ("2026-08-24", "2026-08-24T06:00:00Z") as a date, else None."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# No JIT, and plans made for the report's own values (the connection's generic plans are for
# the pages' lookups by id: ``POSTGRESQL_PLAN_CACHE_MODE``).
_NO_JIT = text("SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'auto', true)")


def without_jit() -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction. The report queries
    are costed high (many rows, subqueries) but run in milliseconds through indexes; compiling
    them (the server's default above a cost of 100,000) took longer than running them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    session = db.session()
    done = session.info.get("without_jit")
    if done is not None and done is session.get_transaction():
        return  # once a transaction (the reports blueprint's pages and their services ask)
    session.execute(_NO_JIT)
    session.info["without_jit"] = session.get_transaction()


_TERMS = (  # built once: building it cost more than running it
    select(Course.term_name, func.min(Course.term_start), func.max(Course.term_end))
    .where(Course.tenant_id == bindparam("tenant_id"), Course.term_name.is_not(None))
    .group_by(Course.term_name)
)


def terms(tenant_id: int) -> list[Term]:
    """The tenant's terms (from its courses), newest first."""
    rows = db.session.execute(_TERMS, {"tenant_id": tenant_id}).all()
    found = [Term(name, _date(start), _date(end)) for name, start, end in rows if name]
    return sorted(found, key=lambda t: (t.start or dt.date.min, t.name), reverse=True)


def current_term(all_terms: Sequence[Term], today: dt.date, name: str | None = None) -> Term | None:
    """The term named ``name``; else the one that contains today; else the latest that has
    started; else None (the reports then cover all time)."""
    if name:
        return next((t for t in all_terms if t.name == name), None)
    containing = [t for t in all_terms if t.contains(today)]
    if containing:
        return containing[0]
    started = [t for t in all_terms if t.start and t.start <= today]
    return started[0] if started else None


@dataclass
class Table:
    """A table an advisor sees: the page renders it and the CSV export writes it."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    caption: str = ""


def safe_cell(value: Any) -> str:
    """A report's CSV cell: yes/no, short decimals, and text a spreadsheet shows as text
    (``lti_tool.csvsafe``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text
    text = str(value)
    if isinstance(value, int | dt.date):
        return text  # numbers and dates are data, and a negative number is not a formula
    return str(csvsafe.safe_cell(text))


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A report's CSV one line at a time (``lti_tool.csvsafe.csv_lines`` with its cells)."""
    return csvsafe.csv_lines(headers, rows, cell=safe_cell)


def percent(part: float, whole: float) -> int | None:
    """A whole percentage, or None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


def median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return float(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2)
