"""Attainment per outcome and measure (a level distribution and the share at the target), and
its trend over terms."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, Select, bindparam, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement, Grouping

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import Framework
from lti_tool.extensions import db
from lti_tool.models import Course

from .attribution import TUNE_FOR_REPORTS, attributed, has_alignments, tune_for_reports
from .scope import MEASURES, Outcome, Scope, list_terms, outcomes
from .targets import Targets, targets


@dataclass
class Measure:
    """One measure (direct or indirect) of one outcome: students with a level, and how many
    reached each level."""

    target: int
    levels: int
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.distribution.values())

    @property
    def at_or_above(self) -> int:
        return sum(c for level, c in self.distribution.items() if level >= self.target)

    @property
    def percent(self) -> float | None:
        return round(100 * self.at_or_above / self.n, 1) if self.n else None

    def counts(self) -> list[int]:
        return [self.distribution.get(level, 0) for level in range(1, self.levels + 1)]


@dataclass
class OutcomeAttainment:
    outcome: Outcome
    target: int
    measures: dict[str, Measure]


@dataclass
class AttainmentReport:
    framework: Framework
    scope: Scope
    targets: Targets
    rows: list[OutcomeAttainment]

    @property
    def scale(self) -> list[str]:
        return list(self.framework.scale or [])


def scoped_framework(scope: Scope) -> tuple[Framework, list[Outcome], Targets]:
    tune_for_reports()
    fw = fw_services.get_framework(scope.tenant_id, scope.framework_id)
    return fw, outcomes(fw), targets(scope.tenant_id, fw.id)


def _distribution(scope: Scope, item_ids: list[int], *group: str) -> list[Any]:
    """Rows of (*group, outcome_id, source, level, students): each student counted once per
    outcome and measure at the highest level they reached.

    One statement per outcome: with ``item_id = :id`` PostgreSQL reads
    ``ix_outcome_evidence_attainment`` in (source, student) order and groups as it goes, where
    ``item_id IN (...)`` would lose that order and hash a million groups. On PostgreSQL the
    statements run on ``ATTAINMENT_PARALLEL`` connections at once (``_run_in_parallel``)."""
    aligned = has_alignments(scope, item_ids)
    return _run([_distribution_of(scope, item_id, aligned, group) for item_id in item_ids])


def _postgresql() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def _run(statements: list[Select[Any]]) -> list[Any]:
    """The rows of ``statements``: on PostgreSQL over ``ATTAINMENT_PARALLEL`` connections at
    once, elsewhere one after another on the session's connection."""
    workers = int(current_app.config["ATTAINMENT_PARALLEL"]) if _postgresql() else 1
    if workers > 1 and len(statements) > 1:
        return _run_in_parallel(statements, workers)
    rows: list[Any] = []
    for statement in statements:
        rows += db.session.execute(statement).all()
    return rows


def _run_in_parallel(statements: list[Select[Any]], workers: int) -> list[Any]:
    """Run ``statements`` over ``workers`` connections of their own, each reading the request
    transaction's snapshot (``pg_export_snapshot``: the figures are those of one moment, as
    when one connection runs them all) with the report's settings (``tune_for_reports``)."""
    engine = db.engine
    snapshot = str(db.session.scalar(text("SELECT pg_export_snapshot()")))
    if not re.fullmatch(r"[0-9A-F]+-[0-9A-F]+-[0-9]+", snapshot):  # SET takes no parameter
        raise RuntimeError("PostgreSQL exported a snapshot id of an unknown form")
    mem = str(current_app.config["ATTAINMENT_WORK_MEM"])

    def run(chunk: list[Select[Any]]) -> list[Any]:
        rows: list[Any] = []
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            conn.execute(TUNE_FOR_REPORTS, {"mem": mem})
            for statement in chunk:
                rows += conn.execute(statement).all()
            conn.rollback()
        return rows

    chunks = [statements[i::workers] for i in range(min(workers, len(statements)))]
    with ThreadPoolExecutor(len(chunks), thread_name_prefix="attainment") as pool:
        return [row for rows in pool.map(run, chunks) for row in rows]


def _distribution_of(
    scope: Scope, item_id: int, aligned: bool, group: tuple[str, ...]
) -> Select[Any]:
    cols: list[ColumnElement[Any]] = [
        Evidence.source.label("source"),
        Evidence.student_id.label("student_id"),
        Evidence.level.label("level"),
    ]
    extra = None
    if "term" in group:
        cols.append(func.coalesce(Course.term_name, "").label("term"))

        def extra(query: Select[Any]) -> Select[Any]:
            if scope.terms is None:  # _narrow joined the course already when terms are set
                return query.outerjoin(Course, Course.id == Evidence.course_id)
            return query

    att = attributed(scope, [item_id], *cols, extra=extra, aligned=aligned)
    keys = [att.c[g] for g in group]
    per_student = (
        select(*keys, att.c.outcome_id, att.c.source, func.max(att.c.level).label("reached"))
        .group_by(att.c.outcome_id, att.c.source, att.c.student_id, *keys)
        .subquery("per_student")
    )
    outer_keys = [per_student.c[g] for g in group]
    return select(
        *outer_keys,
        per_student.c.outcome_id,
        per_student.c.source,
        per_student.c.reached,
        func.count(),
    ).group_by(
        *outer_keys,
        per_student.c.outcome_id,
        per_student.c.source,
        per_student.c.reached,
    )


def attainment(scope: Scope) -> AttainmentReport:
    """Per outcome and measure: students assessed (n), the level distribution, and how many
    reached the target level."""
    fw, items, tgt = scoped_framework(scope)
    levels = len(fw.scale or []) or 4
    rows = [
        OutcomeAttainment(
            o,
            tgt.for_item(o.id),
            {m: Measure(tgt.for_item(o.id), levels) for m in MEASURES},
        )
        for o in items
    ]
    by_id = {row.outcome.id: row for row in rows}
    if items:
        for outcome_id, source, reached, count in _distribution(scope, [o.id for o in items]):
            row = by_id.get(outcome_id)
            if row is not None and source in row.measures:
                row.measures[source].distribution[int(reached)] = int(count)
    return AttainmentReport(fw, scope, tgt, rows)


@dataclass
class TrendCell:
    n: int
    percent: float | None


@dataclass
class Trend:
    terms: list[str]
    # outcome id -> measure -> term -> cell
    cells: dict[int, dict[str, dict[str, TrendCell]]]
    outcomes: list[Outcome]


def trend(scope: Scope) -> Trend:
    """Per outcome, measure and term: students assessed and % at or above the target."""
    _fw, items, tgt = scoped_framework(scope)
    acc: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    if items:
        for outcome_id, source, term, assessed, hit in _term_counts(scope, items, tgt):
            cell = acc[(outcome_id, source, term)]
            cell[0] += assessed
            cell[1] += hit
    seen = {key[2] for key in acc}
    ordered = [t for t in list_terms(scope.tenant_id) if t in seen]
    if "" in seen:
        ordered.append("")
    cells: dict[int, dict[str, dict[str, TrendCell]]] = defaultdict(lambda: defaultdict(dict))
    for (outcome_id, source, term), (n, hit) in acc.items():
        cells[outcome_id][source][term] = TrendCell(n, round(100 * hit / n, 1) if n else None)
    return Trend(ordered, cells, items)


def _term_counts(
    scope: Scope, items: list[Outcome], tgt: Targets
) -> Iterator[tuple[int, str, str, int, int]]:
    """(outcome id, measure, term, students assessed, students at or above the target); a
    student is counted in each term they have a level in, at the highest level of that term."""
    ids = [o.id for o in items]
    bits = _term_bits(scope) if _postgresql() else None  # SQLite has no bit_or
    if bits is None:
        for term, outcome_id, source, reached, count in _distribution(scope, ids, "term"):
            hit = count if reached >= tgt.for_item(outcome_id) else 0
            yield outcome_id, source, term or "", count, hit
        return
    aligned = has_alignments(scope, ids)
    statements = [_term_masks_of(scope, o, tgt.for_item(o), aligned, bits) for o in ids]
    for outcome_id, source, assessed, hit, count in _run(statements):
        for i, term in enumerate(bits.terms):
            if assessed & (1 << i):
                yield outcome_id, source, term, count, count if (hit or 0) & (1 << i) else 0


@dataclass(frozen=True)
class _TermBits:
    """Each term of the tenant's courses as one bit of a bigint (``terms[i]`` is bit i; "" for
    evidence without a course or a term), and the bit of each course id from ``offset`` + 1
    on: PostgreSQL looks a row's term up in this array by its course id, which costs far less
    per evidence row than joining the course (the trend reads millions)."""

    terms: list[str]
    offset: int
    course_bits: list[int]


_MAX_TERM_BITS = 62  # bits of a bigint that shift without reaching the sign
_MAX_COURSE_SPAN = 250_000  # course ids from the tenant's first to its last: the array's length


def _term_bits(scope: Scope) -> _TermBits | None:
    """The tenant's course → term bits; None when they do not fit (more terms than bits, or
    course ids spread too far apart for an array): the trend then groups by term name."""
    courses = db.session.execute(
        select(Course.id, func.coalesce(Course.term_name, "")).where(
            Course.tenant_id == scope.tenant_id
        )
    ).all()
    terms = sorted({str(name) for _, name in courses} | {""})
    if len(terms) > _MAX_TERM_BITS:
        return None
    if not courses:
        return _TermBits(terms, 0, [])
    low, high = min(c for c, _ in courses), max(c for c, _ in courses)
    if high - low >= _MAX_COURSE_SPAN:
        return None
    no_term = 1 << terms.index("")
    course_bits = [no_term] * (high - low + 1)
    for course_id, name in courses:
        course_bits[course_id - low] = 1 << terms.index(str(name))
    return _TermBits(terms, low - 1, course_bits)


def _term_masks_of(
    scope: Scope, item_id: int, target: int, aligned: bool, bits: _TermBits
) -> Select[Any]:
    """Rows of (outcome_id, source, assessed, hit, students): per measure, how many students
    have levels in exactly the terms of the ``assessed`` bits and reached ``target`` in those
    of the ``hit`` bits. One row per student and measure comes out of the attainment index's
    (source, student) order without a sort or a hash of every student and term."""
    # parenthesised: "$1::BIGINT[][...]" would read as a type with array bounds
    course_bits = Grouping(bindparam("course_bits", bits.course_bits, type_=ARRAY(BigInteger)))
    no_term = literal(1 << bits.terms.index(""), BigInteger)
    bit = func.coalesce(course_bits[Evidence.course_id - bits.offset], no_term)
    att = attributed(
        scope,
        [item_id],
        Evidence.source.label("source"),
        Evidence.student_id.label("student_id"),
        Evidence.level.label("level"),
        bit.label("term_bit"),
        aligned=aligned,
    )
    per_student = (
        select(
            att.c.outcome_id,
            att.c.source,
            func.bit_or(att.c.term_bit).label("assessed"),
            func.bit_or(att.c.term_bit).filter(att.c.level >= target).label("hit"),
        )
        .group_by(att.c.outcome_id, att.c.source, att.c.student_id)
        .subquery("per_student")
    )
    keys = [per_student.c.outcome_id, per_student.c.source]
    keys += [per_student.c.assessed, per_student.c.hit]
    return select(*keys, func.count()).group_by(*keys)
