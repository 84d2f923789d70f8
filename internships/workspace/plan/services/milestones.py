"""The learning agreement's milestones: agreed rows (``Milestone``) and the proposed changes
that lead to them (``MilestoneChange``)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from internships.work.models import Deliverable, Engagement
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ..models import CHANGE_KINDS, Milestone, MilestoneChange

MAX_TITLE = 200


@functools.cache
def _of_statements() -> tuple[Any, Any]:
    """An engagement's milestones and its changes, built once (every engagement page reads
    them): a request binds ``tenant_id`` and ``engagement_id``."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    rows = (
        select(Milestone)
        .where(Milestone.tenant_id == tenant_id, Milestone.engagement_id == engagement_id)
        .order_by(Milestone.due_date, Milestone.position, Milestone.id)
    )
    changes = (
        select(MilestoneChange)
        .where(
            MilestoneChange.tenant_id == tenant_id, MilestoneChange.engagement_id == engagement_id
        )
        .order_by(MilestoneChange.proposed_at.desc(), MilestoneChange.id.desc())
    )
    return rows, changes


def _params(engagement: Engagement) -> dict[str, int]:
    return {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}


def milestones_of(engagement: Engagement) -> list[Milestone]:
    """The engagement's agreed milestones, by due date."""
    return list(db.session.scalars(_of_statements()[0], _params(engagement)))


def late_milestones(tenant_id: int, today: dt.date) -> Select[int, int]:
    """(engagement_id, milestone_id) of every milestone of the tenant's open engagements that
    is past its due date and not done."""
    return (
        select(Milestone.engagement_id, Milestone.id)
        .join(Engagement, Engagement.id == Milestone.engagement_id)
        .where(
            Milestone.tenant_id == tenant_id,
            Engagement.tenant_id == tenant_id,
            Engagement.status == "active",
            Milestone.done_at.is_(None),
            Milestone.due_date < today,
        )
        .order_by(Milestone.engagement_id, Milestone.due_date, Milestone.id)
    )


def due_on(tenant_id: int, day: dt.date) -> list[tuple[int, int, str]]:
    """(engagement_id, milestone_id, title) of the tenant's open milestones due on ``day``."""
    rows = db.session.execute(
        select(Milestone.engagement_id, Milestone.id, Milestone.title)
        .join(Engagement, Engagement.id == Milestone.engagement_id)
        .where(
            Milestone.tenant_id == tenant_id,
            Engagement.tenant_id == tenant_id,
            Engagement.status == "active",
            Milestone.done_at.is_(None),
            Milestone.due_date == day,
        )
        .order_by(Milestone.engagement_id, Milestone.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


# --- states --------------------------------------------------------------------------------------

DUE_SOON_DAYS = 7


def milestone_state(milestone: Milestone, today: dt.date) -> str:
    """done, late (past its due date, not done), due (within a week) or upcoming."""
    if milestone.done_at is not None:
        return "done"
    if milestone.due_date < today:
        return "late"
    if milestone.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return "due"
    return "upcoming"


def changes_of(engagement: Engagement) -> list[MilestoneChange]:
    """Every proposed change to the engagement's milestones, newest first."""
    return list(db.session.scalars(_of_statements()[1], _params(engagement)))


# --- proposing and agreeing ----------------------------------------------------------------------


class MilestoneInvalidError(PolicyViolationError):
    """A proposal that breaks a rule; ``errors`` maps form fields to messages."""


@dataclass(frozen=True)
class Proposal:
    kind: str  # add | edit | remove
    milestone_id: int | None = None
    title: str = ""
    due_date: dt.date | None = None


def _snapshot(title: str, due_date: dt.date) -> dict[str, Any]:
    return {"title": title, "due_date": due_date.isoformat()}


def _writable(engagement: Engagement) -> None:
    if engagement.status != "active":
        raise PolicyViolationError(
            "The milestones of a finished engagement no longer change.", reason="not_active"
        )


def _milestone(engagement: Engagement, milestone_id: int | None) -> Milestone:
    found = (
        db.session.scalar(
            select(Milestone).where(
                Milestone.id == milestone_id,
                Milestone.tenant_id == engagement.tenant_id,
                Milestone.engagement_id == engagement.id,
            )
        )
        if milestone_id is not None
        else None
    )
    if found is None:
        raise NotFoundError("That milestone is not part of this engagement.", reason="no_milestone")
    return found


def _check_fields(engagement: Engagement, proposal: Proposal, today: dt.date) -> dict[str, Any]:
    title = (proposal.title or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Enter what the milestone is."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters or fewer."
    due = proposal.due_date
    if due is None:
        errors["due_date"] = "Enter the due date, like 2026-12-31."
    elif due < today:
        errors["due_date"] = "The due date has passed: choose today or a later day."
    elif engagement.end_date is not None and due > engagement.end_date:
        errors["due_date"] = (
            f"The engagement ends on {engagement.end_date:%-d %B %Y}: choose a day before then."
        )
    if errors or due is None:
        raise MilestoneInvalidError(
            "Nothing was proposed: correct the fields marked.", errors=errors, reason="invalid"
        )
    return _snapshot(title, due)


def propose_change(
    actor: Actor, engagement: Engagement, role: str, proposal: Proposal, today: dt.date
) -> MilestoneChange:
    """Propose adding, changing or removing a milestone. The proposer's side (student or
    supervisor) agrees by proposing; a proposal of faculty or an advisor waits for both."""
    _writable(engagement)
    if proposal.kind not in CHANGE_KINDS:
        raise PolicyViolationError("Choose a change to propose.", reason="invalid")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    milestone = None
    if proposal.kind != "add":
        milestone = _milestone(engagement, proposal.milestone_id)
        before = _snapshot(milestone.title, milestone.due_date)
        if _open_change_of(engagement, milestone.id) is not None:
            raise PolicyViolationError(
                "A change to this milestone already waits for agreement: agree to it, decline "
                "it or withdraw it first.",
                reason="change_waiting",
            )
    if proposal.kind != "remove":
        after = _check_fields(engagement, proposal, today)
        if after == before:
            raise MilestoneInvalidError(
                "Nothing was proposed: the milestone already reads so.",
                errors={"title": "Change the title or the due date."},
                reason="unchanged",
            )
    change = MilestoneChange(
        tenant_id=engagement.tenant_id,
        engagement_id=engagement.id,
        milestone_id=milestone.id if milestone else None,
        kind=proposal.kind,
        before=before,
        after=after,
        proposed_by=actor.name,
        proposed_role=role,
    )
    _agree_side(change, role, actor)
    db.session.add(change)
    db.session.flush()
    audit.record(
        actor, "workspace.milestone_proposed", engagement_id=engagement.id, kind=proposal.kind
    )
    if role != "student":
        _tell_student(
            engagement,
            "milestone_proposed",
            f"A change to the milestones of “{engagement.listing.title}” waits for your "
            "agreement: see the engagement's page.",
        )
    return change


def _tell_student(engagement: Engagement, kind: str, message: str) -> None:
    notify(engagement.tenant_id, engagement.student_id, kind, message, engagement_id=engagement.id)


def _agree_side(change: MilestoneChange, role: str, actor: Actor) -> None:
    now = utcnow()
    if role == "student":
        change.student_agreed_by, change.student_agreed_at = actor.name, now
    elif role == "supervisor":
        change.supervisor_agreed_by, change.supervisor_agreed_at = actor.name, now


def waiting_for(change: MilestoneChange) -> list[str]:
    """The parties (student, supervisor) whose agreement an open change waits for."""
    if change.status != "proposed":
        return []
    out = []
    if change.student_agreed_at is None:
        out.append("student")
    if change.supervisor_agreed_at is None:
        out.append("supervisor")
    return out


def _open_change_of(engagement: Engagement, milestone_id: int) -> MilestoneChange | None:
    return db.session.scalar(
        select(MilestoneChange).where(
            MilestoneChange.tenant_id == engagement.tenant_id,
            MilestoneChange.engagement_id == engagement.id,
            MilestoneChange.milestone_id == milestone_id,
            MilestoneChange.status == "proposed",
        )
    )


def _open_change(engagement: Engagement, change_id: int) -> MilestoneChange:
    # locked: the two parties answering at once must each see the other's agreement
    change = db.session.scalar(
        select(MilestoneChange)
        .where(
            MilestoneChange.id == change_id,
            MilestoneChange.tenant_id == engagement.tenant_id,
            MilestoneChange.engagement_id == engagement.id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if change is None:
        raise NotFoundError("That proposal is not part of this engagement.", reason="no_change")
    if change.status != "proposed":
        raise PolicyViolationError(
            f"That proposal was already {change.status}.", reason="already_decided"
        )
    return change


def agree_change(
    actor: Actor, engagement: Engagement, role: str, change_id: int
) -> MilestoneChange:
    """The student or the supervisor agrees to a proposed change; once both have, it applies."""
    _writable(engagement)
    change = _open_change(engagement, change_id)
    if role not in waiting_for(change):
        raise PolicyViolationError(
            "This proposal does not wait for your agreement.", reason="not_waiting"
        )
    _agree_side(change, role, actor)
    if not waiting_for(change):
        _apply(engagement, change)
        change.status, change.decided_by, change.decided_at = "agreed", actor.name, utcnow()
        if role != "student":
            _tell_student(
                engagement,
                "milestone_agreed",
                f"The milestones of “{engagement.listing.title}” changed: the supervisor "
                "agreed to the proposed change.",
            )
    db.session.flush()
    audit.record(actor, "workspace.milestone_agreed", engagement_id=engagement.id, change=change.id)
    return change


def close_change(
    actor: Actor, engagement: Engagement, role: str, change_id: int
) -> MilestoneChange:
    """The proposer withdraws a proposed change, or a party it waits for declines it."""
    _writable(engagement)
    change = _open_change(engagement, change_id)
    if role == change.proposed_role:
        change.status = "withdrawn"
    elif role in waiting_for(change):
        change.status = "declined"
    else:
        raise PolicyViolationError(
            "This proposal does not wait for your agreement.", reason="not_waiting"
        )
    change.decided_by, change.decided_at = actor.name, utcnow()
    db.session.flush()
    audit.record(
        actor, f"workspace.milestone_{change.status}", engagement_id=engagement.id, change=change.id
    )
    return change


def _apply(engagement: Engagement, change: MilestoneChange) -> None:
    after = change.after
    if change.kind == "add":
        last = db.session.scalar(
            select(func.max(Milestone.position)).where(
                Milestone.tenant_id == engagement.tenant_id,
                Milestone.engagement_id == engagement.id,
            )
        )
        milestone = Milestone(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement.id,
            title=after["title"],
            due_date=dt.date.fromisoformat(after["due_date"]),
            position=(last or 0) + 1,
        )
        db.session.add(milestone)
        db.session.flush()
        change.milestone_id = milestone.id
        return
    milestone = _milestone(engagement, change.milestone_id)
    if change.kind == "edit":
        milestone.title = after["title"]
        milestone.due_date = dt.date.fromisoformat(after["due_date"])
    else:
        db.session.delete(milestone)


# --- deliverables answer milestones --------------------------------------------------------------


def attach_deliverable(
    actor: Actor, engagement: Engagement, milestone_id: int, deliverable_id: int | None
) -> Milestone:
    """A deliverable of the engagement answers the milestone and marks it done; None takes
    the answer back (the milestone is open again)."""
    _writable(engagement)
    milestone = _milestone(engagement, milestone_id)
    if deliverable_id is None:
        milestone.deliverable_id, milestone.done_at = None, None
    else:
        deliverable = db.session.scalar(
            select(Deliverable).where(
                Deliverable.id == deliverable_id,
                Deliverable.tenant_id == engagement.tenant_id,
                Deliverable.engagement_id == engagement.id,
            )
        )
        if deliverable is None:
            raise MilestoneInvalidError(
                "Choose one of this engagement's deliverables.",
                field="deliverable",
                reason="no_deliverable",
            )
        milestone.deliverable_id, milestone.done_at = deliverable.id, utcnow()
    db.session.flush()
    audit.record(
        actor,
        "workspace.milestone_answered" if deliverable_id else "workspace.milestone_reopened",
        engagement_id=engagement.id,
        milestone=milestone.id,
    )
    return milestone
