"""Engagements: lists, the learning agreement and the engagement's status. Who may see one
and the student's own checks are in ``access`` (deliverables and the reflection in
``handins``, hours in ``hours``, the evaluation in ``evaluations``); their names stay
importable from here, where the views and the demo look for them."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from internships.models import Listing
from internships.supervisor.links import revoke_engagement_links
from internships.vocabulary import COMPETENCIES
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import LINK_OPEN_STATUSES, Engagement
from .access import EngagementInvalidError as EngagementInvalidError
from .access import can_see as can_see
from .access import get_engagement as get_engagement
from .access import get_engagement_by_id as get_engagement_by_id
from .access import own_acknowledged as own_acknowledged
from .access import own_active as own_active
from .handins import MIN_REFLECTION_ANSWER as MIN_REFLECTION_ANSWER
from .handins import REFLECTION_PROMPTS as REFLECTION_PROMPTS
from .handins import add_deliverable as add_deliverable
from .handins import deliverables as deliverables
from .handins import get_deliverable as get_deliverable
from .handins import reflection_of as reflection_of
from .handins import save_reflection as save_reflection
from .terms import BEYOND_TERM, outside_term

STATUS_FLOW = {
    "submit": (("active",), "submitted"),
    "complete": (("submitted",), "completed"),
    "cancel": (("active", "submitted"), "cancelled"),
    "reopen": (("submitted",), "active"),
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngagementLine:
    """What a list of one student's engagements shows: no listing, employer or person rows."""

    id: int
    title: str
    status: str


def my_engagement_lines(ctx: LaunchContext) -> list[EngagementLine]:
    """The launch student's engagements, newest first, as lines for their home (one query)."""
    rows = db.session.execute(
        select(Engagement.id, Listing.title, Engagement.status)
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(Engagement.tenant_id == ctx.tenant_id, Engagement.student_id == ctx.user_id)
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    return [EngagementLine(eid, title, status) for eid, title, status in rows]


@functools.cache
def _list_statement(role: str) -> Any:
    """The engagements a role sees, built once per role: a request binds ``tenant_id`` and
    ``student_id`` (student) or ``course_id`` (faculty)."""
    stmt = (
        select(Engagement)
        .options(
            joinedload(Engagement.listing).joinedload(Listing.employer),
            joinedload(Engagement.student),
        )
        .where(Engagement.tenant_id == bindparam("tenant_id"))
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    if role == "student":
        return stmt.where(Engagement.student_id == bindparam("student_id"))
    if role == "faculty":
        return stmt.where(
            Engagement.course_id == bindparam("course_id"), Engagement.course_id.is_not(None)
        )
    return stmt


def list_engagements(ctx: LaunchContext) -> list[Engagement]:
    """The engagements the launch may see: own (student), course (faculty), tenant (advisor)."""
    if ctx.role not in ("student", "faculty", "advisor"):
        return []
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id, "course_id": ctx.course_id}
    return list(db.session.scalars(_list_statement(ctx.role), params))


# --- the learning agreement -------------------------------------------------------------------


@dataclass
class AgreementInput:
    competencies: list[str]
    planned_hours: int
    supervisor_name: str
    supervisor_email: str
    start_date: dt.date | None
    end_date: dt.date | None
    goals: str = ""
    beyond_term: bool = False  # the dates may leave the course's term (said knowingly)


def update_agreement(ctx: LaunchContext, engagement_id: int, data: AgreementInput) -> Engagement:
    """An advisor or the course's faculty sets the learning agreement; a change asks the student
    to acknowledge it again."""
    if ctx.role not in ("advisor", "faculty") or ctx.read_only:
        raise ForbiddenError(
            "Only advisors and instructors edit learning agreements.", reason="role"
        )
    engagement = get_engagement(ctx, engagement_id)
    if engagement.status not in ("active", "submitted"):
        raise EngagementInvalidError("competencies", "This engagement is closed.", "closed")
    unknown = [c for c in data.competencies if c not in COMPETENCIES]
    checks = (
        (
            "competencies",
            bool(data.competencies) and not unknown,
            "Choose at least one of the career competencies.",
        ),
        ("planned_hours", 1 <= data.planned_hours <= 400, "Plan between 1 and 400 hours."),
        (
            "supervisor_name",
            2 <= len(data.supervisor_name.strip()) <= 200,
            "Give the supervisor's name.",
        ),
        (
            "supervisor_email",
            bool(EMAIL_RE.match(data.supervisor_email.strip())),
            "Give the supervisor's email address.",
        ),
        (
            "end_date",
            not (data.start_date and data.end_date and data.end_date < data.start_date),
            "The end date must be on or after the start date.",
        ),
    )
    for field_name, ok, message in checks:
        if not ok:
            raise EngagementInvalidError(field_name, message)
    beyond = outside_term(engagement.course_id, data.start_date, data.end_date)
    if beyond and not data.beyond_term:
        raise EngagementInvalidError("end_date", f"{beyond} {BEYOND_TERM}", "beyond_term")
    new_email = data.supervisor_email.strip()
    if new_email.lower() != engagement.supervisor_email.strip().lower():
        # Links sent to the previous supervisor stop working (they also check the address).
        _revoke_links(ctx, engagement.id, "supervisor_changed")
    engagement.competencies = [c for c in COMPETENCIES if c in data.competencies]
    engagement.planned_hours = data.planned_hours
    engagement.supervisor_name = data.supervisor_name.strip()
    engagement.supervisor_email = new_email
    engagement.start_date, engagement.end_date = data.start_date, data.end_date
    engagement.goals = data.goals.strip()
    engagement.acknowledged_at = None
    db.session.flush()
    audit.record(
        ctx.actor, "engagement.agreement", ctx.tenant_id, engagement_id=engagement.id, beyond=beyond
    )
    return engagement


def acknowledge_agreement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    """The student acknowledges the learning agreement."""
    engagement = get_engagement(ctx, engagement_id)
    if ctx.role != "student":
        raise ForbiddenError("Only the student acknowledges the agreement.", reason="role")
    if engagement.status != "active":
        raise PolicyViolationError("This engagement is not active.", reason="not_active")
    engagement.acknowledged_at = utcnow()
    db.session.flush()
    audit.record(ctx.actor, "engagement.acknowledge", ctx.tenant_id, engagement_id=engagement.id)
    return engagement


# --- status -------------------------------------------------------------


def change_status(ctx: LaunchContext, engagement_id: int, action: str) -> Engagement:
    """submit (the student), complete or reopen (faculty, advisor), cancel (advisor)."""
    if action not in STATUS_FLOW:
        raise PolicyViolationError("Unknown action.", reason="action")
    who = {
        "submit": ("student",),
        "complete": ("faculty", "advisor"),
        "reopen": ("faculty", "advisor"),
        "cancel": ("advisor",),
    }[action]
    if ctx.role not in who or ctx.read_only:
        raise ForbiddenError("Your role cannot do that to an engagement.", reason="role")
    engagement = get_engagement(ctx, engagement_id)
    sources, target = STATUS_FLOW[action]
    if engagement.status not in sources:
        raise PolicyViolationError(
            f"This engagement is {engagement.status}; it cannot be {target} now.",
            reason="status",
        )
    if action == "submit" and engagement.acknowledged_at is None:
        raise PolicyViolationError(
            "Acknowledge your learning agreement before you submit.", reason="not_acknowledged"
        )
    engagement.status = target
    db.session.flush()
    audit.record(ctx.actor, f"engagement.{target}", ctx.tenant_id, engagement_id=engagement.id)
    if target not in LINK_OPEN_STATUSES:
        _revoke_links(ctx, engagement.id, "closed")
    return engagement


def _revoke_links(ctx: LaunchContext, engagement_id: int, reason: str) -> None:
    """Revoke the engagement's open supervisor links, audited when there were any."""
    revoked = revoke_engagement_links(ctx.tenant_id, engagement_id, reason)
    if revoked:
        audit.record(
            ctx.actor,
            "supervisor_link.revoke",
            ctx.tenant_id,
            engagement_id=engagement_id,
            reason=reason,
            links=revoked,
        )
