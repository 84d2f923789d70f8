"""The course page's student table as ready values: one plain tuple per row, which the template
unpacks into its loop variables. A 300-student table then costs no attribute lookups, filters,
tests or macro calls per row (those were half of the page's CPU); what a row shows is decided
here, how it is marked up stays in ``templates/credit/course.html``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import NamedTuple

from lti_tool.quantities import hours_value_text

from ..models import CreditPolicy
from ..services.roster import STATE_ORDER, RosterRow
from ..services.standing import percent_complete

_STATE_RANK = {state: i for i, state in enumerate(STATE_ORDER)}


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


@functools.lru_cache(maxsize=4096)
def _hours(hours: float) -> str:
    """``hours_value_text`` (Decimal arithmetic) once per value: most rows repeat a few."""
    return hours_value_text(hours)


def row_cells(
    rows: Iterable[RosterRow], policy: CreditPolicy, review_url: Callable[[int], str]
) -> list[RowCells]:
    """The table's rows, in the order given."""
    return [_cells(r, policy, review_url) for r in rows]


def _cells(r: RosterRow, policy: CreditPolicy, review_url: Callable[[int], str]) -> RowCells:
    p = r.progress
    if p is None:
        return RowCells(
            r.name, r.name.lower(), "", r.dropped, not r.on_lms_roster,
            hours_sort=-1, hours="0", percent=0, pending_sort=-1, pending="0",
            credits_sort=-1, earned=0, eligible=0, done=-1, items=0,
            state_sort=_STATE_RANK[r.state], state_label=r.state_label,
        )  # fmt: skip
    eligible = p.credits_eligible
    return RowCells(
        r.name, r.name.lower(), review_url(p.student_id), r.dropped, not r.on_lms_roster,
        hours_sort=p.approved_minutes,
        hours=_hours(p.approved_hours),
        percent=percent_complete(p, policy),
        pending_sort=p.pending_minutes,
        pending=_hours(p.pending_hours),
        credits_sort=p.credits_earned * 1000 + eligible,
        earned=p.credits_earned,
        eligible=eligible,
        done=sum(1 for item in p.checklist if item.done),
        items=len(p.checklist),
        state_sort=_STATE_RANK[p.state],
        state_label=p.state_label,
    )  # fmt: skip


def pill_states(rows: Iterable[RosterRow]) -> dict[str, str]:
    """Each state label the table shows, with the state whose tone its pill takes: the
    template renders each pill once."""
    return {r.state_label: r.state for r in rows}
