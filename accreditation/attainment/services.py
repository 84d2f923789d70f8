"""Attainment and coverage of outcomes, computed in SQL.

An evidence row counts for an outcome of a framework when it was recorded against that outcome,
or against a course outcome that a course's crosswalk aligns to it. A student's *level reached*
on an outcome is the highest level recorded for them on it (per measure: direct and indirect
are never mixed); "not applicable" ratings carry no level and are left out. A term is the LMS
term of the evidence's course (``Course.term_name``); evidence without a course has no term and
is left out when terms are chosen.

Every aggregate is a ``GROUP BY`` in the database: Python only shapes the few rows per outcome,
measure and level that come back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, exists, func, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import (
    Framework,
    FrameworkItem,
    FrameworkItemVersion,
    OutcomeAlignment,
)
from internships.models import Listing
from internships.profile.models import StudentProfile
from internships.work.models import Engagement
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course, utcnow
from lti_tool.services import audit

from .models import DEFAULT_MIN_EVIDENCE, DEFAULT_TARGET_LEVEL, AttainmentSetting, LoopNote

MEASURES = ("direct", "indirect")
NO_TERM = "No term"
MAX_NOTE_CHARS = 4000


# --- scope, terms and settings -----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a report covers: a framework's outcomes, optionally narrowed to the students of one
    program (their profile), some terms (None: every term, and evidence without one) or one
    course."""

    tenant_id: int
    framework_id: int
    program: str = ""
    terms: tuple[str, ...] | None = None
    course_id: int | None = None


def list_terms(tenant_id: int) -> list[str]:
    """The tenant's terms (LMS term names of its courses), earliest first."""
    rows = db.session.execute(
        select(Course.term_name, func.min(Course.term_start))
        .where(Course.tenant_id == tenant_id, Course.term_name.is_not(None), Course.term_name != "")
        .group_by(Course.term_name)
    ).all()
    return [str(name) for name, _ in sorted(rows, key=lambda r: (r[1] or "9999", r[0]))]


def term_range(tenant_id: int, term_from: str, term_to: str) -> tuple[str, ...] | None:
    """The terms from ``term_from`` to ``term_to`` (either blank: open-ended); None when both
    are blank (every term)."""
    if not term_from and not term_to:
        return None
    terms = list_terms(tenant_id)
    for name in (term_from, term_to):
        if name and name not in terms:
            raise PolicyViolationError(
                f"There is no term named {name!r}.", hint="Choose a term from the list."
            )
    start = terms.index(term_from) if term_from else 0
    end = terms.index(term_to) if term_to else len(terms) - 1
    if start > end:
        raise PolicyViolationError(
            "The first term comes after the last one.", hint="Swap the two terms."
        )
    return tuple(terms[start : end + 1])


def list_programs(tenant_id: int) -> list[str]:
    """The programs students of the tenant have on their profiles."""
    return list(
        db.session.scalars(
            select(StudentProfile.program)
            .where(StudentProfile.tenant_id == tenant_id, StudentProfile.program != "")
            .distinct()
            .order_by(StudentProfile.program)
        )
    )


@dataclass
class Targets:
    """A framework's target level, per-outcome overrides and coverage threshold."""

    level: int = DEFAULT_TARGET_LEVEL
    min_evidence: int = DEFAULT_MIN_EVIDENCE
    per_item: dict[int, int] = field(default_factory=dict)

    def for_item(self, item_id: int) -> int:
        return self.per_item.get(item_id, self.level)


def targets(tenant_id: int, framework_id: int) -> Targets:
    """The framework's targets (defaults: level 3, 10 rated observations)."""
    out = Targets()
    for row in db.session.scalars(
        select(AttainmentSetting).where(
            AttainmentSetting.tenant_id == tenant_id,
            AttainmentSetting.framework_id == framework_id,
        )
    ):
        if row.item_id is None:
            out.level, out.min_evidence = row.target_level, row.min_evidence
        else:
            out.per_item[row.item_id] = row.target_level
    return out


def _setting(tenant_id: int, framework_id: int, item_id: int | None) -> AttainmentSetting | None:
    query = select(AttainmentSetting).where(
        AttainmentSetting.tenant_id == tenant_id,
        AttainmentSetting.framework_id == framework_id,
        AttainmentSetting.item_id.is_(None)
        if item_id is None
        else AttainmentSetting.item_id == item_id,
    )
    return db.session.scalars(query).first()


def save_targets(
    ctx: LaunchContext,
    framework_id: int,
    level: int,
    min_evidence: int,
    per_item: dict[int, int | None],
) -> None:
    """Set the framework's target level and threshold, and per-outcome targets (None: use the
    framework's); flushes."""
    fw = fw_services.get_framework(ctx.tenant_id, framework_id)
    top = len(fw.scale or []) or 4
    if not 1 <= level <= top or any(v is not None and not 1 <= v <= top for v in per_item.values()):
        raise PolicyViolationError(f"A target level must be between 1 and {top}.")
    if min_evidence < 1:
        raise PolicyViolationError("The coverage threshold must be at least 1.")
    items = {item.id for item in fw.items}
    now = utcnow()
    for item_id, value in [(None, level), *per_item.items()]:
        if item_id is not None and item_id not in items:
            raise NotFoundError("That outcome is not in this framework.")
        row = _setting(ctx.tenant_id, fw.id, item_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = AttainmentSetting(tenant_id=ctx.tenant_id, framework_id=fw.id, item_id=item_id)
            db.session.add(row)
        row.target_level = value
        row.min_evidence = min_evidence if item_id is None else DEFAULT_MIN_EVIDENCE
        row.updated_by, row.updated_at = ctx.actor[:255], now
    db.session.flush()
    audit.record(
        ctx.actor,
        "attainment.targets",
        ctx.tenant_id,
        framework_id=fw.id,
        level=level,
        min_evidence=min_evidence,
    )


@dataclass(frozen=True)
class Outcome:
    id: int
    code: str
    name: str
    depth: int


def outcomes(fw: Framework) -> list[Outcome]:
    """The framework's active outcomes in their order (current wording)."""
    return [
        Outcome(row.item.id, row.item.human_coding, row.item.current.name, row.depth)
        for row in fw_services.tree(fw, include_retired=False)
    ]


def level_name(fw: Framework, level: int | None) -> str:
    scale = fw.scale or []
    return scale[level - 1] if level and level <= len(scale) else "Not applicable"


# --- the evidence that counts for a framework's outcomes ---------------------------------------


def _narrow(query: Select[Any], scope: Scope, *, rated_only: bool) -> Select[Any]:
    query = query.where(Evidence.tenant_id == scope.tenant_id)
    if rated_only:
        query = query.where(Evidence.level.is_not(None))
    if scope.course_id is not None:
        query = query.where(Evidence.course_id == scope.course_id)
    if scope.terms is not None:
        query = query.join(Course, Course.id == Evidence.course_id).where(
            Course.term_name.in_(scope.terms)
        )
    if scope.program:
        query = query.join(
            StudentProfile,
            and_(
                StudentProfile.tenant_id == scope.tenant_id,
                StudentProfile.user_id == Evidence.student_id,
            ),
        ).where(StudentProfile.program == scope.program)
    return query


def _has_alignments(scope: Scope, item_ids: list[int]) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OutcomeAlignment.tenant_id == scope.tenant_id,
                    OutcomeAlignment.target_item_id.in_(item_ids),
                )
            )
        )
    )


def attributed(
    scope: Scope,
    item_ids: list[int],
    *columns: ColumnElement[Any],
    rated_only: bool = True,
    extra: Any = None,
    aligned: bool | None = None,
) -> Any:
    """A subquery of the evidence counting for ``item_ids`` (column ``outcome_id`` plus the
    labelled ``columns``): recorded against the outcome, or against an aligned course outcome."""
    direct = select(Evidence.item_id.label("outcome_id"), *columns).where(
        Evidence.item_id.in_(item_ids)
    )
    direct = _narrow(direct, scope, rated_only=rated_only)
    if extra is not None:
        direct = extra(direct)
    if aligned is None:
        aligned = _has_alignments(scope, item_ids)
    if not aligned:
        return direct.subquery("attributed")
    via_alignment = (
        select(OutcomeAlignment.target_item_id.label("outcome_id"), *columns)
        .select_from(Evidence)
        .join(
            OutcomeAlignment,
            and_(
                OutcomeAlignment.tenant_id == scope.tenant_id,
                OutcomeAlignment.source_item_id == Evidence.item_id,
            ),
        )
        .where(OutcomeAlignment.target_item_id.in_(item_ids))
    )
    via_alignment = _narrow(via_alignment, scope, rated_only=rated_only)
    if extra is not None:
        via_alignment = extra(via_alignment)
    return union_all(direct, via_alignment).subquery("attributed")


# --- attainment --------------------------------------------------------------------------------


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


def tune_for_reports() -> None:
    """PostgreSQL: give this transaction's GROUP BYs and hash joins over millions of evidence
    rows room in memory (``ATTAINMENT_WORK_MEM``, default 128MB, instead of the server's 4MB
    default that makes them spill to disk); ``set_config(..., true)`` ends with the
    transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        mem = str(current_app.config["ATTAINMENT_WORK_MEM"])
        db.session.execute(text("SELECT set_config('work_mem', :mem, true)"), {"mem": mem})


def _scoped_framework(scope: Scope) -> tuple[Framework, list[Outcome], Targets]:
    tune_for_reports()
    fw = fw_services.get_framework(scope.tenant_id, scope.framework_id)
    return fw, outcomes(fw), targets(scope.tenant_id, fw.id)


def _distribution(scope: Scope, item_ids: list[int], *group: str) -> list[Any]:
    """Rows of (*group, outcome_id, source, level, students): each student counted once per
    outcome and measure at the highest level they reached.

    One statement per outcome: with ``item_id = :id`` PostgreSQL reads
    ``ix_outcome_evidence_attainment`` in (source, student) order and groups as it goes, where
    ``item_id IN (...)`` would lose that order and hash a million groups."""
    aligned = _has_alignments(scope, item_ids)
    rows: list[Any] = []
    for item_id in item_ids:
        rows += _distribution_of(scope, item_id, aligned, group)
    return rows


def _distribution_of(scope: Scope, item_id: int, aligned: bool, group: tuple[str, ...]) -> Any:
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
    return db.session.execute(
        select(
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
    ).all()


def attainment(scope: Scope) -> AttainmentReport:
    """Per outcome and measure: students assessed (n), the level distribution, and how many
    reached the target level."""
    fw, items, tgt = _scoped_framework(scope)
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
    _fw, items, tgt = _scoped_framework(scope)
    acc: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    if items:
        for term, outcome_id, source, reached, count in _distribution(
            scope, [o.id for o in items], "term"
        ):
            cell = acc[(outcome_id, source, term or "")]
            cell[0] += count
            if reached >= tgt.for_item(outcome_id):
                cell[1] += count
    seen = {key[2] for key in acc}
    ordered = [t for t in list_terms(scope.tenant_id) if t in seen]
    if "" in seen:
        ordered.append("")
    cells: dict[int, dict[str, dict[str, TrendCell]]] = defaultdict(lambda: defaultdict(dict))
    for (outcome_id, source, term), (n, hit) in acc.items():
        cells[outcome_id][source][term] = TrendCell(n, round(100 * hit / n, 1) if n else None)
    return Trend(ordered, cells, items)


# --- coverage ----------------------------------------------------------------------------------


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
    fw, items, tgt = _scoped_framework(scope)
    counts: dict[tuple[str, int | None, int], int] = {}
    totals: dict[int, int] = defaultdict(int)
    course_ids: set[int | None] = set()
    listing_rows: dict[int | None, int] = defaultdict(int)
    if items:
        ids = [o.id for o in items]
        att = attributed(
            scope,
            ids,
            Evidence.course_id.label("course_id"),
            Evidence.engagement_id.label("engagement_id"),
        )
        for kind, outcome_id, column_id, rows in _coverage_counts(att, with_listings):
            counts[(kind, column_id, outcome_id)] = rows
            if kind == "course":
                totals[outcome_id] += rows
                course_ids.add(column_id)
            else:
                listing_rows[column_id] += rows
    titles: dict[int, str] = dict(
        db.session.execute(
            select(Course.id, func.coalesce(func.nullif(Course.label, ""), Course.title)).where(
                Course.tenant_id == scope.tenant_id,
                Course.id.in_([c for c in course_ids if c is not None]),
            )
        ).all()
    )
    courses = sorted(
        (Column("course", cid, titles.get(cid, "") if cid else "No course") for cid in course_ids),
        key=lambda c: (c.id is None, c.title),
    )
    top = sorted(listing_rows, key=lambda lid: (-listing_rows[lid], lid or 0))
    shown = top if listing_limit is None else top[:listing_limit]
    listing_titles = dict(
        db.session.execute(
            select(Listing.id, Listing.title).where(
                Listing.tenant_id == scope.tenant_id,
                Listing.id.in_([lid for lid in shown if lid is not None]),
            )
        ).all()
    )
    listings = [
        Column("listing", lid, listing_titles.get(lid, "") if lid else "No listing")
        for lid in shown
    ]
    return Coverage(fw, items, courses, listings, counts, dict(totals), tgt.min_evidence, len(top))


def _coverage_counts(att: Any, with_listings: bool) -> list[tuple[str, int, int | None, int]]:
    """(kind, outcome id, course or listing id, rated evidence rows)."""
    out: list[tuple[str, int, int | None, int]] = [
        ("course", o, c, n)
        for o, c, n in db.session.execute(
            select(att.c.outcome_id, att.c.course_id, func.count()).group_by(
                att.c.outcome_id, att.c.course_id
            )
        )
    ]
    if with_listings:  # every evidence row joins its engagement: the costly half
        out += [
            ("listing", o, lst, n)
            for o, lst, n in db.session.execute(
                select(att.c.outcome_id, Engagement.listing_id, func.count())
                .select_from(att)
                .outerjoin(Engagement, Engagement.id == att.c.engagement_id)
                .group_by(att.c.outcome_id, Engagement.listing_id)
            )
        ]
    return out


# --- student and course reports ----------------------------------------------------------------


@dataclass
class Demonstrated:
    framework: str
    outcome: str
    direct_level: int | None
    direct_name: str
    indirect_level: int | None
    indirect_name: str
    observations: int


def student_competencies(tenant_id: int, student_id: int) -> list[Demonstrated]:
    """The outcomes a student has rated evidence on, with the highest level reached per
    measure (one GROUP BY over the student's own rows)."""
    rows = db.session.execute(
        select(Evidence.item_id, Evidence.source, func.max(Evidence.level), func.count())
        .where(
            Evidence.tenant_id == tenant_id,
            Evidence.student_id == student_id,
            Evidence.level.is_not(None),
        )
        .group_by(Evidence.item_id, Evidence.source)
    ).all()
    if not rows:
        return []
    items = {
        item.id: item
        for item in db.session.scalars(
            select(FrameworkItem).where(
                FrameworkItem.tenant_id == tenant_id,
                FrameworkItem.id.in_({r[0] for r in rows}),
            )
        )
    }
    names = dict(
        db.session.execute(
            select(FrameworkItemVersion.item_id, FrameworkItemVersion.name)
            .where(FrameworkItemVersion.item_id.in_(items))
            .order_by(FrameworkItemVersion.number)
        ).all()
    )  # the last version of each wins: its current wording
    merged: dict[int, dict[str, Any]] = defaultdict(lambda: {"count": 0})
    for item_id, source, level, count in rows:
        merged[item_id][source] = level
        merged[item_id]["count"] += count
    out = []
    for item_id, data in merged.items():
        item = items[item_id]
        fw = item.framework
        out.append(
            Demonstrated(
                framework=fw.title,
                outcome=names.get(item_id, ""),
                direct_level=data.get("direct"),
                direct_name=level_name(fw, data.get("direct")) if data.get("direct") else "",
                indirect_level=data.get("indirect"),
                indirect_name=level_name(fw, data.get("indirect")) if data.get("indirect") else "",
                observations=data["count"],
            )
        )
    return sorted(out, key=lambda d: (d.framework, d.outcome))


def course_frameworks(tenant_id: int, course_id: int) -> list[Framework]:
    """The frameworks with evidence recorded in a course (NACE first)."""
    ids = set(
        db.session.scalars(
            select(FrameworkItem.framework_id)
            .join(Evidence, Evidence.item_id == FrameworkItem.id)
            .where(Evidence.tenant_id == tenant_id, Evidence.course_id == course_id)
            .distinct()
        )
    )
    return [fw for fw in fw_services.list_frameworks(tenant_id) if fw.id in ids]


# --- closing the loop --------------------------------------------------------------------------


def add_note(
    ctx: LaunchContext, framework_id: int, item_id: int, body: str, term: str = ""
) -> LoopNote:
    """Record what the program will change for an outcome (dated, with its author); flushes."""
    fw = fw_services.get_framework(ctx.tenant_id, framework_id)
    if item_id not in {item.id for item in fw.items}:
        raise NotFoundError("That outcome is not in this framework.")
    body = body.strip()
    if not body:
        raise PolicyViolationError("Write what the program will change.")
    if len(body) > MAX_NOTE_CHARS:
        raise PolicyViolationError(f"A note holds at most {MAX_NOTE_CHARS} characters.")
    note = LoopNote(
        tenant_id=ctx.tenant_id,
        framework_id=fw.id,
        item_id=item_id,
        term=term[:255],
        body=body,
        author_id=ctx.user_id,
        author=(ctx.user_name or ctx.actor)[:255],
    )
    db.session.add(note)
    db.session.flush()
    audit.record(ctx.actor, "attainment.note", ctx.tenant_id, note_id=note.id, item_id=item_id)
    return note


def notes(tenant_id: int, framework_id: int) -> dict[int, list[LoopNote]]:
    """The framework's closing-the-loop notes per outcome, newest first."""
    out: dict[int, list[LoopNote]] = defaultdict(list)
    for note in db.session.scalars(
        select(LoopNote)
        .where(LoopNote.tenant_id == tenant_id, LoopNote.framework_id == framework_id)
        .order_by(LoopNote.created_at.desc(), LoopNote.id.desc())
    ):
        out[note.item_id].append(note)
    return out
