"""The faculty roster: everyone the LMS lists (NRPS), including students who have not started
and dropped students, joined with the progress the tool holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lti_tool.lti.services_client import Member

from .standing import StudentProgress

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@dataclass
class RosterRow:
    name: str
    email: str
    progress: StudentProgress | None
    dropped: bool = False
    on_lms_roster: bool = True

    @property
    def state(self) -> str:
        return self.progress.state if self.progress else "not_started"

    @property
    def state_label(self) -> str:
        if self.progress is not None:
            return self.progress.state_label
        return "Not started (has not opened Career Credit yet)"


def _is_learner(m: Member) -> bool:
    return any(r == LEARNER or r.endswith("#Learner") or r == "Learner" for r in m.roles)


def merge_roster(
    progress: Sequence[StudentProgress], members: Sequence[Member] | None
) -> list[RosterRow]:
    """One row per student: the LMS roster when it was read, plus anyone with progress the
    roster does not list (for example work counted here after they left the course)."""
    by_sub = {p.sub: p for p in progress}
    rows: list[RosterRow] = []
    seen: set[str] = set()
    for m in members or ():
        if not _is_learner(m):
            continue
        seen.add(m.user_id)
        p = by_sub.get(m.user_id)
        rows.append(
            RosterRow(
                name=m.name or (p.name if p else "") or m.email or m.user_id,
                email=m.email or (p.email if p else ""),
                progress=p,
                dropped=m.status.lower() in ("inactive", "deleted"),
            )
        )
    for p in progress:
        if p.sub not in seen:
            rows.append(
                RosterRow(
                    name=p.name or p.email or p.sub,
                    email=p.email,
                    progress=p,
                    on_lms_roster=members is None,
                )
            )
    return rows


_ORDER = [
    "ready",
    "resubmitted",
    "awaiting_approval",
    "changes_requested",
    "in_progress",
    "not_started",
    "denied",
    "awarded",
]

# Where students stand, the ones needing the instructor first (the "Where they stand" order).
STATE_ORDER = tuple(_ORDER)

SORT_KEYS = {
    "name": lambda r: (r.name.casefold(),),
    "hours": lambda r: (r.progress.approved_minutes if r.progress else -1, r.name.casefold()),
    "pending": lambda r: (r.progress.pending_minutes if r.progress else -1, r.name.casefold()),
    "credits": lambda r: (
        (r.progress.credits_earned, r.progress.credits_eligible) if r.progress else (-1, -1),
        r.name.casefold(),
    ),
    "state": lambda r: (_ORDER.index(r.state), r.name.casefold()),
}


def sort_rows(rows: list[RosterRow], key: str, direction: str) -> list[RosterRow]:
    """Rows sorted by a column (unknown columns sort by name); dropped students last."""
    fn = SORT_KEYS.get(key, SORT_KEYS["name"])
    ordered = sorted(rows, key=fn, reverse=direction == "desc")
    return [r for r in ordered if not r.dropped] + [r for r in ordered if r.dropped]
