"""The course page's student table as ready values: one plain tuple per row, which the template
unpacks into its loop variables. A 300-student table then costs no attribute lookups, filters,
tests or macro calls per row (those were half of the page's CPU); what a row shows is decided
here, how it is marked up stays in ``templates/credit/course.html``."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from lti_tool.quantities import hours_value_text

from ..models import CreditPolicy
from ..services.progress import plain_rules
from ..services.roster import STATE_ORDER, RosterRow
from ..services.standing import STATE_LABELS, Rules, percent_complete

_STATE_RANK = {state: i for i, state in enumerate(STATE_ORDER)}
_DROPPED, _OFF_ROSTER = operator.attrgetter("dropped"), operator.attrgetter("off_roster")


class RowCells(NamedTuple):
    """One student's row; the ``*_sort`` values are the cells' ``data-sort`` (-1 without any
    progress: the student never opened Career Credit)."""

    name: str
    name_sort: str
    review_url: str  # "" without progress: nothing to review yet
    dropped: bool
    off_roster: bool  # has progress here but the LMS roster read does not list them
    hours_sort: int
    hours: str  # approved hours as shown ("0" without progress)
    percent: int  # of the hours full credit needs
    pending_sort: int
    pending: str
    credits_sort: int
    earned: int
    eligible: int
    done: int  # checklist items done (-1 without progress)
    items: int  # checklist items
    state_sort: int
    state_label: str
    state: str  # the key of ``state_label``: its pill's tone


@functools.lru_cache(maxsize=4096)
def _hours(minutes: int) -> str:
    """Minutes as the hours shown (rounded as ``StudentProgress.approved_hours`` rounds them),
    with ``hours_value_text``'s Decimal arithmetic once per value: most rows repeat a few."""
    return hours_value_text(round(minutes / 60, 2))


def row_cells(
    rows: Iterable[RosterRow], policy: CreditPolicy, review_url: Callable[[int], str]
) -> list[RowCells]:
    """The table's rows, in the order given."""
    rules = plain_rules(policy)  # read once per row: plain values, not instrumented attributes
    return [_cells(r, rules, review_url) for r in rows]


def _cells(r: RosterRow, rules: Rules, review_url: Callable[[int], str]) -> RowCells:
    p = r.progress
    if p is None:
        return RowCells(
            r.name, r.name.lower(), "", r.dropped, not r.on_lms_roster,
            hours_sort=-1, hours="0", percent=0, pending_sort=-1, pending="0",
            credits_sort=-1, earned=0, eligible=0, done=-1, items=0,
            state_sort=_STATE_RANK[r.state], state_label=r.state_label, state=r.state,
        )  # fmt: skip
    checklist = p.checklist
    done = [item.done for item in checklist].count(True)
    # ``credits_eligible``, from the count just made (its property counts the list again).
    eligible = p.credits_by_hours if done == len(checklist) else 0
    return RowCells(
        r.name, r.name.lower(), review_url(p.student_id), r.dropped, not r.on_lms_roster,
        hours_sort=p.approved_minutes,
        hours=_hours(p.approved_minutes),
        percent=percent_complete(p, rules),
        pending_sort=p.pending_minutes,
        pending=_hours(p.pending_minutes),
        credits_sort=p.credits_earned * 1000 + eligible,
        earned=p.credits_earned,
        eligible=eligible,
        done=done,
        items=len(checklist),
        state_sort=_STATE_RANK[p.state],
        state_label=STATE_LABELS[p.state],
        state=p.state,
    )  # fmt: skip


def table(
    rows: Iterable[RosterRow], policy: CreditPolicy, review_url: Callable[[int], str]
) -> dict[str, Any]:
    """The template's values for the table: ``cells``, the rows' values; ``pill_states``, each
    state label shown with the state whose tone its pill takes (each pill is rendered once);
    ``any_dropped`` and ``any_off_roster``, whether a row is marked so (those pills are rendered
    only then; ``map``: no Python call per row)."""
    cells = row_cells(rows, policy, review_url)
    return {
        "cells": cells,
        "pill_states": {c.state_label: c.state for c in cells},
        "any_dropped": any(map(_DROPPED, cells)),
        "any_off_roster": any(map(_OFF_ROSTER, cells)),
    }
