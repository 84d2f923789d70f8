"""In-app notifications for students, with an email copy through ``mail``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, exists, select, update

from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import User, utcnow

from .mail import send_email
from .models import Notification

KINDS = (
    "application_shortlisted",
    "application_accepted",
    "application_declined",
    "hours_confirmed",
    "hours_queried",
    "evaluation_received",
)


def notify(
    tenant_id: int,
    user_id: int,
    kind: str,
    message: str,
    *,
    application_id: int | None = None,
    engagement_id: int | None = None,
) -> Notification:
    """Tell a student that something changed: an in-app notification and an email."""
    note = Notification(
        tenant_id=tenant_id,
        user_id=user_id,
        kind=kind,
        message=message[:500],
        application_id=application_id,
        engagement_id=engagement_id,
    )
    db.session.add(note)
    user = db.session.get(User, user_id)
    if user is not None and user.tenant_id == tenant_id and user.email:
        send_email(
            tenant_id,
            user.email,
            "Career Credit: " + message[:120],
            f"Hello {user.name or 'there'},\n\n{message}\n\n"
            "Open Career Credit from your course in the LMS to see the details.\n",
            about_user_id=user.id,
        )
    db.session.flush()
    return note


# built once (building it was half of reading the notifications), columns only (the home
# shows them; no Notification object is loaded): a request binds ``tenant_id``, ``user_id``
# and ``limit``
_UNREAD = (
    select(
        Notification.id,
        Notification.kind,
        Notification.message,
        Notification.engagement_id,
        Notification.application_id,
        Notification.created_at,
    )
    .where(
        Notification.tenant_id == bindparam("tenant_id"),
        Notification.user_id == bindparam("user_id"),
        Notification.read_at.is_(None),
    )
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(bindparam("limit"))
)


def any_unread() -> Any:
    """Whether the student has an unread notification, as a column (bound per request:
    ``tenant_id``, ``student_id``): the student's home reads it with the student's work
    (``timeline.student_work``) and reads the notifications only when there is one."""
    return exists().where(
        Notification.tenant_id == bindparam("tenant_id"),
        Notification.user_id == bindparam("student_id"),
        Notification.read_at.is_(None),
    )


def unread_notifications(ctx: LaunchContext, limit: int = 20) -> list[Row[Any]]:
    """The launch user's unread notifications in their tenant, newest first (rows with
    ``id``, ``kind``, ``message``, ``engagement_id``, ``application_id`` and ``created_at``)."""
    params = {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id, "limit": limit}
    return list(db.session.execute(_UNREAD, params))


def mark_notifications_read(ctx: LaunchContext) -> int:
    """Mark every unread notification of the launch user as read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == ctx.tenant_id,
            Notification.user_id == ctx.user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
