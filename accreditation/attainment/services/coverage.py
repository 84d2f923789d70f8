"""Coverage: rated evidence per outcome and course, and per outcome and listing; outcomes under
the framework's threshold are flagged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from accreditation.evidence.models import Evidence
from accreditation.frameworks.models import Framework
from internships.models import Listing
from lti_tool.extensions import db
from lti_tool.models import Course

from .attribution import attributed, has_alignments
from .report import scoped_framework
from .scope import Outcome, Scope


@dataclass
class Column:
    kind: str  # course | listing
    id: int | None
    title: str


@dataclass
class Coverage:
    framework: Framework
    outcomes: list[Outcome]
    courses: list[Column]
    listings: list[Column]
    counts: dict[tuple[str, int | None, int], int]  # (kind, column id, outcome id) -> rows
    totals: dict[int, int]
    min_evidence: int
    listings_shown: int = 0

    def flagged(self, outcome_id: int) -> bool:
        return self.totals.get(outcome_id, 0) < self.min_evidence

    def cell(self, kind: str, column_id: int | None, outcome_id: int) -> int:
        return self.counts.get((kind, column_id, outcome_id), 0)


def coverage(
    scope: Scope, *, with_listings: bool = True, listing_limit: int | None = 25
) -> Coverage:
    """Rated evidence per outcome and course, and per outcome and listing; outcomes with fewer rows
    than the framework's threshold are flagged. ``listing_limit``: the listings with the most
    evidence shown (None: all)."""
    fw, items, tgt = scoped_framework(scope)
    counts: dict[tuple[str, int | None, int], int] = {}
    totals: dict[int, int] = defaultdict(int)
    course_ids: set[int | None] = set()
    listing_rows: dict[int | None, int] = defaultdict(int)
    listings_with_rows: int | None = None
    if items:
        ids = [o.id for o in items]
        aligned = has_alignments(scope, ids)
        found, listings_with_rows = _coverage_counts(
            scope, ids, aligned, with_listings, listing_limit
        )
        for kind, outcome_id, column_id, rows in found:
            counts[(kind, column_id, outcome_id)] = rows
            if kind == "course":
                totals[outcome_id] += rows
                course_ids.add(column_id)
            else:
                listing_rows[column_id] += rows
    titles = _titles(
        select(Course.id, func.coalesce(func.nullif(Course.label, ""), Course.title)).where(
            Course.tenant_id == scope.tenant_id
        ),
        Course.id,
        [c for c in course_ids if c is not None],
    )
    courses = sorted(
        (Column("course", cid, titles.get(cid, "") if cid else "No course") for cid in course_ids),
        key=lambda c: (c.id is None, c.title),
    )
    top = sorted(listing_rows, key=lambda lid: (-listing_rows[lid], lid or 0))
    shown = top if listing_limit is None else top[:listing_limit]
    listing_titles = _titles(
        select(Listing.id, Listing.title).where(Listing.tenant_id == scope.tenant_id),
        Listing.id,
        [lid for lid in shown if lid is not None],
    )
    listings = [
        Column("listing", lid, listing_titles.get(lid, "") if lid else "No listing")
        for lid in shown
    ]
    with_rows = len(top) if listings_with_rows is None else listings_with_rows
    return Coverage(fw, items, courses, listings, counts, dict(totals), tgt.min_evidence, with_rows)


# Ids per title query: PostgreSQL takes at most 65,535 parameters in a statement (the export
# asks for every listing's title: 100,000 at --scale 5 of benchmarks/reports.py).
_TITLES_PER_QUERY = 10_000


def _titles(query: Select[int, Any], id_column: Any, ids: list[int]) -> dict[int, str]:
    """``query``'s (id, title) rows for ``ids``, a batch of them at a time."""
    titles: dict[int, str] = {}
    for start in range(0, len(ids), _TITLES_PER_QUERY):
        batch = ids[start : start + _TITLES_PER_QUERY]
        titles.update(db.session.execute(query.where(id_column.in_(batch))).all())
    return titles


# Up to this many outcomes, coverage by listing counts each outcome in a column of one row per
# listing (a FILTER per outcome): a hash of listings instead of listings x outcomes, which on
# PostgreSQL also leaves the gather of parallel workers' partial groups a tenth of the rows.
_LISTING_COLUMNS_MAX = 12


Counts = list[tuple[str, int, int | None, int]]


def _coverage_counts(
    scope: Scope, ids: list[int], aligned: bool, with_listings: bool, listing_limit: int | None
) -> tuple[Counts, int | None]:
    """(kind, outcome id, course or listing id, rated evidence rows), and how many listings
    have rows when only the ``listing_limit`` with the most are counted (None: every one is).
    Each count reads only the columns it groups by, so that PostgreSQL counts from an index
    alone (``ix_outcome_evidence_course_item``, ``ix_outcome_evidence_listing``): the evidence
    row holds its listing, where each of 10 M rows was joined to its engagement (21 s at
    benchmarks/reports.py --scale 5, now 3.3 s)."""
    by_course = attributed(scope, ids, Evidence.course_id.label("course_id"), aligned=aligned)
    out: Counts = [
        ("course", o, c, n)
        for o, c, n in db.session.execute(
            select(by_course.c.outcome_id, by_course.c.course_id, func.count()).group_by(
                by_course.c.outcome_id, by_course.c.course_id
            )
        )
    ]
    if not with_listings:
        return out, None
    att = attributed(scope, ids, Evidence.listing_id.label("listing_id"), aligned=aligned)
    if len(ids) > _LISTING_COLUMNS_MAX:
        return out + [
            ("listing", o, lst, n)
            for o, lst, n in db.session.execute(
                select(att.c.outcome_id, att.c.listing_id, func.count()).group_by(
                    att.c.outcome_id, att.c.listing_id
                )
            )
        ], None
    per_outcome = [func.count().filter(att.c.outcome_id == o) for o in ids]
    stmt = select(att.c.listing_id, *per_outcome).group_by(att.c.listing_id)
    with_rows = None
    if listing_limit is not None:
        # Only the listings the page shows, as ``coverage`` orders them (the most rows first,
        # "no listing" as 0 among equals), and how many have rows: 25 rows, not 100,000
        # listings x outcomes built into Python (0.85 s of 2.9 at --scale 5).
        stmt = (
            stmt.add_columns(func.count().over())
            .order_by(func.count().desc(), func.coalesce(att.c.listing_id, 0))
            .limit(listing_limit)
        )
    for listing_id, *rows in db.session.execute(stmt):
        if listing_limit is not None:
            *rows, with_rows = rows
        out += [("listing", o, listing_id, n) for o, n in zip(ids, rows, strict=True) if n]
    return out, (0 if with_rows is None and listing_limit is not None else with_rows)
