"""Where a student stands in a course: the progress records (engagements, hours, the
checklist) and the policy's rules over them — credits by hours, the artefact checklist, the
state shown to instructors. No queries: ``progress`` fills these from the database."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Protocol

from internships.work.models import RATING_LEVELS
from lti_tool.quantities import hours_text

from ..models import CreditAward, CreditDecision

COUNTED = ("submitted", "completed")
UNDER_WAY = ("active",)

STATE_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "ready": "Ready for review",
    "changes_requested": "Changes requested",
    "resubmitted": "Resubmitted for review",
    "denied": "Credit denied",
    "awaiting_approval": "Awaiting second approval",
    "awarded": "Credit awarded",
}


class Rules(Protocol):
    """What the standing reads of a course's credit policy: its stored ``CreditPolicy``, or
    the ``DefaultRules`` a course without one follows."""

    @property
    def hours_per_credit(self) -> int: ...
    @property
    def max_credits(self) -> int: ...
    @property
    def allow_stacking(self) -> bool: ...
    @property
    def require_agreement(self) -> bool: ...
    @property
    def require_evaluation(self) -> bool: ...
    @property
    def require_reflection(self) -> bool: ...
    @property
    def min_rating(self) -> int | None: ...
    @property
    def deadline(self) -> dt.date | None: ...


@dataclass(frozen=True, slots=True)
class DefaultRules:
    """The rules of a course without a stored policy, from the tenant's defaults (the values a
    new policy would get): a plain value, as a transient ``CreditPolicy`` per course cost more
    to build than the course's figures took to read."""

    hours_per_credit: int
    max_credits: int
    allow_stacking: bool
    require_agreement: bool
    require_evaluation: bool
    require_reflection: bool
    grading_mode: str
    approval_chain: str
    min_rating: int | None = None
    deadline: dt.date | None = None

    @classmethod
    def of(cls, defaults: dict[str, Any]) -> DefaultRules:
        """The rules of the tenant's ``defaults`` (as ``policy.tenant_defaults`` gives them)."""
        return cls(
            hours_per_credit=defaults["hours_per_credit"],
            max_credits=min(defaults["max_credits"], defaults["credit_limit"]),
            allow_stacking=defaults["allow_stacking"],
            require_agreement=defaults["require_agreement"],
            require_evaluation=defaults["require_evaluation"],
            require_reflection=defaults["require_reflection"],
            grading_mode=defaults["grading_mode"],
            approval_chain=defaults["approval_chain"],
        )


@dataclass
class EngagementProgress:
    engagement_id: int
    title: str
    employer: str
    status: str
    planned_hours: int
    approved_minutes: int = 0
    pending_minutes: int = 0
    queried_minutes: int = 0
    late_minutes: int = 0  # confirmed, but after the policy's deadline
    agreement: bool = False
    reflection: bool = False
    evaluation: bool = False
    lowest_rating: int | None = None

    @property
    def counted(self) -> bool:
        return self.status in COUNTED


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""


@dataclass
class StudentProgress:
    student_id: int
    course_id: int
    name: str
    email: str
    sub: str
    dropped: bool = False
    engagements: list[EngagementProgress] = field(default_factory=list)
    approved_minutes: int = 0  # confirmed hours of every engagement that is not cancelled
    pending_minutes: int = 0
    counted_minutes: int = 0  # confirmed hours of finished engagements, inside the deadline
    credits_by_hours: int = 0
    credits_earned: int = 0
    checklist: list[ChecklistItem] = field(default_factory=list)
    award: CreditAward | None = None
    last_decision: CreditDecision | None = None
    state: str = "not_started"
    policy: Rules | None = None  # the course's policy the figures were computed under
    course_title: str = ""  # set where one student's courses are listed

    @property
    def approved_hours(self) -> float:
        return round(self.approved_minutes / 60, 2)

    @property
    def pending_hours(self) -> float:
        return round(self.pending_minutes / 60, 2)

    @property
    def counted_hours(self) -> float:
        return round(self.counted_minutes / 60, 2)

    @property
    def checklist_complete(self) -> bool:
        return all(item.done for item in self.checklist)

    @property
    def credits_eligible(self) -> int:
        """Credits the policy allows for the counted work (0 until the checklist is done)."""
        return self.credits_by_hours if self.checklist_complete else 0

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def engagement_ids(self) -> list[int]:
        return sorted(e.engagement_id for e in self.engagements if e.counted)


def _progress_fraction(p: StudentProgress, policy: Rules) -> float:
    target = policy.hours_per_credit * policy.max_credits * 60
    return min(1.0, p.approved_minutes / target) if target else 0.0


def percent_complete(p: StudentProgress, policy: Rules) -> int:
    """Approved hours against the hours the course's full credit needs, in percent."""
    return round(100 * _progress_fraction(p, policy))


def credits_by_hours(p: StudentProgress, policy: Rules) -> int:
    """Credits the counted hours give (per engagement unless the policy stacks them)."""
    per_credit = policy.hours_per_credit * 60
    counted = [e.approved_minutes - e.late_minutes for e in p.engagements if e.status in COUNTED]
    if policy.allow_stacking:
        credits = sum(counted) // per_credit
    else:
        credits = sum(minutes // per_credit for minutes in counted)
    return int(min(credits, policy.max_credits))


@functools.lru_cache(maxsize=4096)
def _hours_text(minutes: int) -> str:
    """``hours_text`` (Decimal arithmetic) once per value: a course's students repeat a few
    sums, and every one of them gets the hours item's words."""
    return hours_text(minutes)


def _hours_detail(p: StudentProgress, hours_needed: int) -> str:
    """The hours item's figures, agreeing with the approved hours shown beside it: approved
    hours that do not count yet (work not finished) or at all (after the deadline) are named,
    not left out."""
    detail = f"{_hours_text(p.counted_minutes)} of {hours_needed} hours"
    unfinished = late = 0
    for e in p.engagements:
        late += e.late_minutes
        if e.status not in COUNTED:
            unfinished += e.approved_minutes - e.late_minutes
    if unfinished > 0:
        detail += (
            f"; {_hours_text(unfinished)} more approved hours count once their work is finished"
        )
    if late > 0:
        detail += (
            f"; {_hours_text(late)} approved hours were logged after the deadline and do not count"
        )
    return detail


def _every(engagements: list[EngagementProgress], attr: str, none: str) -> tuple[bool, str]:
    """Whether every one of ``engagements`` has ``attr``, and the titles of those missing it
    (``none``: the words when there is no engagement)."""
    if not engagements:
        return False, none
    missing = [e.title for e in engagements if not getattr(e, attr)]
    return not missing, ("Missing for: " + ", ".join(missing)) if missing else ""


def checklist_for(p: StudentProgress, policy: Rules) -> list[ChecklistItem]:
    """What the policy demands before credit, each item done or not."""
    counted = [e for e in p.engagements if e.status in COUNTED]
    hours_needed = policy.hours_per_credit
    items = [
        ChecklistItem(
            "hours",
            f"At least {hours_needed} approved hours of finished work",
            p.counted_minutes >= hours_needed * 60 and policy.max_credits > 0,
            _hours_detail(p, hours_needed),
        )
    ]
    none = "Finish an engagement first." if not counted else ""
    if policy.require_agreement:
        # An agreement is acknowledged at the start: while nothing is finished, the item
        # describes the engagements under way (as their own pages do), not "Not yet".
        under_way = counted or [e for e in p.engagements if e.status in UNDER_WAY]
        done, detail = _every(under_way, "agreement", none)
        items.append(ChecklistItem("agreement", "Learning agreement acknowledged", done, detail))
    if policy.require_evaluation:
        done, detail = _every(counted, "evaluation", none)
        items.append(ChecklistItem("evaluation", "Supervisor's final evaluation", done, detail))
    if policy.require_reflection:
        done, detail = _every(counted, "reflection", none)
        items.append(ChecklistItem("reflection", "Reflection submitted", done, detail))
    if policy.min_rating:
        level = RATING_LEVELS[policy.min_rating - 1]
        low = [
            e.title
            for e in counted
            if e.lowest_rating is not None and e.lowest_rating < policy.min_rating
        ]
        rated = counted and all(e.evaluation for e in counted)
        items.append(
            ChecklistItem(
                "min_rating",
                f"Every competency rated at least {level}",
                bool(rated) and not low,
                ("Below the minimum: " + ", ".join(low)) if low else none,
            )
        )
    return items


def state_of(p: StudentProgress) -> str:
    """Where the student stands (a key of ``STATE_LABELS``)."""
    if p.award is not None:
        return "awaiting_approval" if p.award.status == "awaiting_approval" else "awarded"
    decision = p.last_decision
    if decision is not None and decision.kind == "denied":
        return "denied"
    if p.checklist_complete and p.credits_by_hours > 0:
        if decision is not None and decision.kind == "changes_requested":
            return "changes_requested"
        if decision is not None and decision.kind == "resubmitted":
            return "resubmitted"
        return "ready"
    if decision is not None and decision.kind == "changes_requested":
        return "changes_requested"
    return "in_progress" if p.engagements else "not_started"


def sum_up(
    p: StudentProgress,
    policy: Rules,
    award: CreditAward | None,
    decision: CreditDecision | None,
    rules: Rules | None = None,
) -> None:
    """A student's totals, credits, checklist and state from their engagements, current
    award and latest decision, under ``policy`` (whose rules ``rules`` may hold as plain
    values: ``progress`` reads a course's policy once for all its students)."""
    for e in p.engagements:
        p.approved_minutes += e.approved_minutes
        p.pending_minutes += e.pending_minutes
        if e.counted:
            p.counted_minutes += e.approved_minutes - e.late_minutes
    p.policy = policy
    p.credits_by_hours = credits_by_hours(p, rules or policy)
    p.checklist = checklist_for(p, rules or policy)
    p.award = award
    if award is not None and award.status == "final":
        p.credits_earned = award.credits
    # A decision older than the current award no longer describes where the student is.
    if decision is not None and (award is None or decision.created_at > award.created_at):
        p.last_decision = decision
    p.state = state_of(p)
