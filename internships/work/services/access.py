"""Who may see an engagement, and the student's own engagement when they add to it: while it
is active and its learning agreement is acknowledged, or where an instructor reopened the part
they change (``reopenings``)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from internships.models import Listing
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db

from ..models import Engagement
from . import reopenings


class EngagementInvalidError(PolicyViolationError):
    """An engagement input is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str, reason: str | None = None) -> None:
        super().__init__(message, reason=reason or f"invalid_{field_name}", field=field_name)


def can_see(ctx: LaunchContext, engagement: Engagement) -> bool:
    """Students see their own; faculty the engagements of their course; advisors the tenant's."""
    if engagement.tenant_id != ctx.tenant_id:
        return False
    if ctx.role == "student":
        return engagement.student_id == ctx.user_id
    if ctx.role == "faculty":
        return ctx.course_id is not None and engagement.course_id == ctx.course_id
    return ctx.role == "advisor"


def engagement_loads() -> tuple[Any, ...]:
    """What an engagement's pages show with it: its listing, the employer, student, course."""
    return (
        joinedload(Engagement.listing).joinedload(Listing.employer),
        joinedload(Engagement.student),
        joinedload(Engagement.course),
    )


@functools.cache
def _engagement_statement() -> Any:
    """An engagement with what its page shows (the listing, its employer, the student and the
    course), built once: every engagement page and form reads it; a request binds
    ``engagement_id`` and ``tenant_id``."""
    return (
        select(Engagement)
        .options(*engagement_loads())
        .where(
            Engagement.id == bindparam("engagement_id"),
            Engagement.tenant_id == bindparam("tenant_id"),
        )
    )


def get_engagement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    """An engagement the launch may see, else NotFoundError (never says whether it exists)."""
    params = {"engagement_id": engagement_id, "tenant_id": ctx.tenant_id}
    return visible(ctx, db.session.scalar(_engagement_statement(), params))


def visible(ctx: LaunchContext, engagement: Engagement | None) -> Engagement:
    """The engagement read for the launch, if it may see it, else NotFoundError (never says
    whether it exists)."""
    if engagement is None or not can_see(ctx, engagement):
        raise NotFoundError("That engagement does not exist or is not yours to see.")
    return engagement


def get_engagement_by_id(tenant_id: int, engagement_id: int) -> Engagement:
    """An engagement of the tenant (for signed supervisor links)."""
    params = {"engagement_id": engagement_id, "tenant_id": tenant_id}
    engagement = db.session.scalar(_engagement_statement(), params)
    if engagement is None:
        raise NotFoundError("That engagement does not exist.")
    return engagement


def own_active(ctx: LaunchContext, engagement_id: int, part: str | None = None) -> Engagement:
    """The student's own engagement while it is active; once submitted or finished, only for
    the ``part`` ("reflection", "deliverable", "hours") an instructor reopened."""
    return active_part(ctx, get_engagement(ctx, engagement_id), part)


def active_part(
    ctx: LaunchContext, engagement: Engagement, part: str | None = None, is_open: bool | None = None
) -> Engagement:
    """``own_active`` on an engagement the launch may see, read already (``is_open``: whether
    ``part`` is reopened, when the caller read that with it)."""
    if ctx.role != "student":
        raise ForbiddenError("Only the student does this.", reason="role")
    if engagement.status == "active":
        return engagement
    reopened = part is not None and engagement.status != "cancelled"
    if is_open is None and reopened:
        is_open = reopenings.is_open(engagement, str(part))
    if reopened and is_open:
        return engagement
    raise PolicyViolationError(
        "This engagement is no longer active.",
        reason="not_active",
        hint="Your instructor can reopen what needs to change by asking for changes; your "
        "advisor can reopen the engagement.",
    )


def own_acknowledged(ctx: LaunchContext, engagement_id: int, part: str | None = None) -> Engagement:
    """The student's own engagement (``own_active``) whose learning agreement they
    acknowledged: no hours, deliverables or reflection before it."""
    engagement = own_active(ctx, engagement_id, part)
    if engagement.acknowledged_at is None:
        raise PolicyViolationError(
            "Acknowledge the learning agreement first: your work on this engagement counts "
            "from then on.",
            reason="not_acknowledged",
            hint="The agreement and its button are at the top of the engagement's page.",
        )
    return engagement
