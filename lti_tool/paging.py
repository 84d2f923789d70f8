"""Pages of a long list (manage listings, the audit trail, an import report): the page number
from a query string, a query's page with its exact count, and a list's page.

A page number that is not a positive whole number is page 1; one past the last page is the
last page, so a bookmarked or hand-edited address never errors and never shows an empty page
while rows exist."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select

from .extensions import db

T = TypeVar("T")

# Past this, a page number is a typo or a probe: it would only make a large OFFSET.
MAX_PAGE = 100_000


def page_number(value: str | None) -> int:
    """The page a query string asks for: 1 unless a positive whole number (at most MAX_PAGE)."""
    text = (value or "").strip()
    if not text.isdigit() or not text.isascii():
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of ``total`` rows: ``items`` are rows ``first`` to ``last`` (1-based)."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case; ``%``, ``_`` and ``\\`` match themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _last_page(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def paginate(statement: Select[Any], page: int, per_page: int, *options: Any) -> Page[Any]:
    """The ``page`` of a select of ORM entities (its ORDER BY must end with a unique column so
    that pages never overlap), with the exact number of rows it selects; ``options`` (eager
    loads) apply to the page's rows only, not to the count."""
    counted = statement.order_by(None).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    page = min(page, _last_page(total, per_page))
    window = statement.options(*options).limit(per_page).offset((page - 1) * per_page)
    return Page(list(db.session.scalars(window).unique()), page, per_page, total)


def paginate_list(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """The ``page`` of a list already in memory (an import report's rows)."""
    page = min(page, _last_page(len(items), per_page))
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), page, per_page, len(items))
