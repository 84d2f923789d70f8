"""Attainment and coverage of outcomes, computed in SQL.

An evidence row counts for an outcome of a framework when it was recorded against that outcome,
or against a course outcome that a course's crosswalk aligns to it. A student's *level reached*
on an outcome is the highest level recorded for them on it (per measure: direct and indirect
are never mixed); "not applicable" ratings carry no level and are left out. A term is the LMS
term of the evidence's course (``Course.term_name``); evidence without a course has no term and
is left out when terms are chosen.

Every aggregate is a ``GROUP BY`` in the database: Python only shapes the few rows per outcome,
measure and level that come back.

One module per concern: ``scope`` (what a report covers), ``targets``, ``attribution`` (the
evidence that counts), ``report`` (attainment and trend), ``coverage``, ``students`` and
``notes``. The names below are the package's public interface, used as ``services.<name>``.
"""

from __future__ import annotations

from .attribution import attributed, tune_for_reports
from .coverage import Column, Coverage, coverage
from .notes import MAX_NOTE_CHARS, add_note, notes
from .report import (
    AttainmentReport,
    Measure,
    OutcomeAttainment,
    Trend,
    TrendCell,
    attainment,
    trend,
)
from .scope import (
    MEASURES,
    NO_TERM,
    Outcome,
    Scope,
    level_name,
    list_programs,
    list_terms,
    outcomes,
    term_range,
)
from .students import Demonstrated, course_frameworks, student_competencies
from .targets import Targets, save_targets, targets

__all__ = [
    "MAX_NOTE_CHARS",
    "MEASURES",
    "NO_TERM",
    "AttainmentReport",
    "Column",
    "Coverage",
    "Demonstrated",
    "Measure",
    "Outcome",
    "OutcomeAttainment",
    "Scope",
    "Targets",
    "Trend",
    "TrendCell",
    "add_note",
    "attainment",
    "attributed",
    "course_frameworks",
    "coverage",
    "level_name",
    "list_programs",
    "list_terms",
    "notes",
    "outcomes",
    "save_targets",
    "student_competencies",
    "targets",
    "term_range",
    "trend",
    "tune_for_reports",
]
