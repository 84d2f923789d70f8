"""Engagements: who sees them, the learning agreement, deliverables, the reflection and the
engagement's status (hours are in ``hours``, the evaluation in ``evaluations``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from internships.models import Listing
from internships.supervisor.links import revoke_engagement_links
from internships.vocabulary import COMPETENCIES
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import LINK_OPEN_STATUSES, Deliverable, Engagement, Reflection
from . import uploads
from .terms import BEYOND_TERM, outside_term

STATUS_FLOW = {
    "submit": (("active",), "submitted"),
    "complete": (("submitted",), "completed"),
    "cancel": (("active", "submitted"), "cancelled"),
    "reopen": (("submitted",), "active"),
}
REFLECTION_PROMPTS = (
    ("what", "What did you do? Describe the project and your part in it."),
    ("learned", "What did you learn about the work, the field and yourself?"),
    ("competencies", "Which career competencies did you use, and where did you grow most?"),
    ("challenge", "What was the hardest moment, and how did you handle it?"),
    ("next", "What will you do differently, or next, because of this experience?"),
)
MIN_REFLECTION_ANSWER = 40
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EngagementInvalidError(PolicyViolationError):
    """An engagement input is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str, reason: str | None = None) -> None:
        super().__init__(message, reason=reason or f"invalid_{field_name}", field=field_name)


# --- reading ---------------------------------------------------------------------------------


def can_see(ctx: LaunchContext, engagement: Engagement) -> bool:
    """Students see their own; faculty the engagements of their course; advisors the tenant's."""
    if engagement.tenant_id != ctx.tenant_id:
        return False
    if ctx.role == "student":
        return engagement.student_id == ctx.user_id
    if ctx.role == "faculty":
        return ctx.course_id is not None and engagement.course_id == ctx.course_id
    return ctx.role == "advisor"


def get_engagement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    """An engagement the launch may see, else NotFoundError (never says whether it exists)."""
    engagement = db.session.scalar(
        select(Engagement)
        .options(
            joinedload(Engagement.listing).joinedload(Listing.employer),
            joinedload(Engagement.student),
        )
        .where(Engagement.id == engagement_id, Engagement.tenant_id == ctx.tenant_id)
    )
    if engagement is None or not can_see(ctx, engagement):
        raise NotFoundError("That engagement does not exist or is not yours to see.")
    return engagement


def get_engagement_by_id(tenant_id: int, engagement_id: int) -> Engagement:
    """An engagement of the tenant (for signed supervisor links)."""
    engagement = db.session.scalar(
        select(Engagement)
        .options(
            joinedload(Engagement.listing).joinedload(Listing.employer),
            joinedload(Engagement.student),
        )
        .where(Engagement.id == engagement_id, Engagement.tenant_id == tenant_id)
    )
    if engagement is None:
        raise NotFoundError("That engagement does not exist.")
    return engagement


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


def list_engagements(ctx: LaunchContext) -> list[Engagement]:
    """The engagements the launch may see: own (student), course (faculty), tenant (advisor)."""
    stmt = (
        select(Engagement)
        .options(
            joinedload(Engagement.listing).joinedload(Listing.employer),
            joinedload(Engagement.student),
        )
        .where(Engagement.tenant_id == ctx.tenant_id)
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    if ctx.role == "student":
        stmt = stmt.where(Engagement.student_id == ctx.user_id)
    elif ctx.role == "faculty":
        stmt = stmt.where(Engagement.course_id == ctx.course_id, Engagement.course_id.is_not(None))
    elif ctx.role != "advisor":
        return []
    return list(db.session.scalars(stmt))


def deliverables(engagement: Engagement) -> list[Deliverable]:
    return list(
        db.session.scalars(
            select(Deliverable)
            .where(
                Deliverable.engagement_id == engagement.id,
                Deliverable.tenant_id == engagement.tenant_id,
            )
            .order_by(Deliverable.created_at, Deliverable.id)
        )
    )


def reflection_of(engagement: Engagement) -> Reflection | None:
    return db.session.scalar(select(Reflection).where(Reflection.engagement_id == engagement.id))


def get_deliverable(ctx: LaunchContext, deliverable_id: int) -> Deliverable:
    """A deliverable whose engagement the launch may see."""
    deliverable = db.session.scalar(
        select(Deliverable).where(
            Deliverable.id == deliverable_id, Deliverable.tenant_id == ctx.tenant_id
        )
    )
    if deliverable is None:
        raise NotFoundError("That file does not exist or is not yours to see.")
    get_engagement(ctx, deliverable.engagement_id)
    return deliverable


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
        raise ForbiddenError("Only advisors and faculty edit learning agreements.", reason="role")
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


def own_active(ctx: LaunchContext, engagement_id: int) -> Engagement:
    engagement = get_engagement(ctx, engagement_id)
    if ctx.role != "student":
        raise ForbiddenError("Only the student does this.", reason="role")
    if engagement.status != "active":
        raise PolicyViolationError(
            "This engagement is no longer active.",
            reason="not_active",
            hint="Ask your advisor to reopen it if you need to add something.",
        )
    return engagement


def own_acknowledged(ctx: LaunchContext, engagement_id: int) -> Engagement:
    """The student's own active engagement whose learning agreement they acknowledged: no
    hours, deliverables or reflection before it."""
    engagement = own_active(ctx, engagement_id)
    if engagement.acknowledged_at is None:
        raise PolicyViolationError(
            "Acknowledge the learning agreement first: your work on this engagement counts "
            "from then on.",
            reason="not_acknowledged",
            hint="The agreement and its button are at the top of the engagement's page.",
        )
    return engagement


# --- deliverables and the reflection ----------------------------------------------------------


def add_deliverable(
    ctx: LaunchContext,
    engagement_id: int,
    title: str,
    *,
    url: str = "",
    data: bytes | None = None,
    filename: str = "",
) -> Deliverable:
    """The student hands in a deliverable: a file (checked and stored) or an https URL."""
    engagement = own_acknowledged(ctx, engagement_id)
    title = " ".join(title.split())
    if not 2 <= len(title) <= 200:
        raise EngagementInvalidError("title", "Give the deliverable a title (2 to 200 characters).")
    url = url.strip()
    if bool(url) == bool(data):
        raise EngagementInvalidError(
            "file", "Upload a file or give a link — one of the two.", "file_or_url"
        )
    deliverable = Deliverable(tenant_id=ctx.tenant_id, engagement_id=engagement.id, title=title)
    if url:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", url) or len(url) > 1000:
            raise EngagementInvalidError("url", "Give a web address starting with https://.")
        deliverable.url = url
    else:
        try:
            stored = uploads.store_deliverable(data or b"", filename)
        except uploads.UploadRejectedError as exc:
            raise EngagementInvalidError("file", exc.message, exc.reason) from exc
        deliverable.file_path, deliverable.filename = stored.name, stored.filename
        deliverable.content_type, deliverable.size = stored.content_type, stored.size
    db.session.add(deliverable)
    db.session.flush()
    audit.record(
        ctx.actor,
        "deliverable.add",
        ctx.tenant_id,
        engagement_id=engagement.id,
        deliverable_id=deliverable.id,
    )
    return deliverable


def save_reflection(
    ctx: LaunchContext, engagement_id: int, answers: dict[str, str], *, submit: bool
) -> Reflection:
    """The student saves (or submits) their answers to the guided prompts; a submitted
    reflection answers every prompt with at least a few sentences."""
    engagement = own_acknowledged(ctx, engagement_id)
    clean = {key: (answers.get(key) or "").strip()[:5000] for key, _ in REFLECTION_PROMPTS}
    if submit:
        for key, prompt in REFLECTION_PROMPTS:
            if len(clean[key]) < MIN_REFLECTION_ANSWER:
                raise EngagementInvalidError(
                    key,
                    f"Answer “{prompt}” in at least {MIN_REFLECTION_ANSWER} characters.",
                    "reflection_short",
                )
    reflection = reflection_of(engagement) or Reflection(
        tenant_id=ctx.tenant_id, engagement_id=engagement.id
    )
    if reflection.submitted_at is not None:
        raise PolicyViolationError("Your reflection is already submitted.", reason="submitted")
    reflection.answers = clean
    if submit:
        reflection.submitted_at = utcnow()
    db.session.add(reflection)
    db.session.flush()
    if submit:
        audit.record(ctx.actor, "reflection.submit", ctx.tenant_id, engagement_id=engagement.id)
    return reflection


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
