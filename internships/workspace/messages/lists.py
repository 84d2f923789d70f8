"""Conversations across engagements: counts of messages and of those unread, for a student's
home, a faculty member's course and an advisor's institution."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from lti_tool.context import LaunchContext
from lti_tool.extensions import db

from ...work.models import Engagement
from .models import MessageRead, WorkspaceMessage
from .services import Reader, not_by


@dataclass(frozen=True)
class Conversation:
    """One engagement's conversation in a list: its messages, those unread by the person
    looking, and when the latest was posted."""

    engagement: Engagement
    messages: int
    unread: int
    latest_at: dt.datetime | None


CHUNK = 5000  # engagement ids per IN list (PostgreSQL takes at most 65,535 parameters)


def _counts(
    ctx: LaunchContext, reader: Reader, ids: list[int]
) -> tuple[dict[int, tuple[int, dt.datetime | None]], dict[int, int]]:
    """Messages and their latest time, and messages unread by ``reader``, per engagement."""
    scope = [WorkspaceMessage.tenant_id == ctx.tenant_id, WorkspaceMessage.engagement_id.in_(ids)]
    totals: dict[int, tuple[int, dt.datetime | None]] = {
        row[0]: (int(row[1]), row[2])
        for row in db.session.execute(
            select(
                WorkspaceMessage.engagement_id,
                func.count(WorkspaceMessage.id),
                func.max(WorkspaceMessage.created_at),
            )
            .where(*scope)
            .group_by(WorkspaceMessage.engagement_id)
        )
    }
    mark = (
        select(MessageRead.engagement_id, MessageRead.last_read_id)
        .where(MessageRead.tenant_id == ctx.tenant_id, MessageRead.reader == reader.key)
        .subquery()
    )
    unread = {
        row[0]: int(row[1])
        for row in db.session.execute(
            select(WorkspaceMessage.engagement_id, func.count(WorkspaceMessage.id))
            .outerjoin(mark, mark.c.engagement_id == WorkspaceMessage.engagement_id)
            .where(
                *scope,
                not_by(reader),
                WorkspaceMessage.id > func.coalesce(mark.c.last_read_id, 0),
            )
            .group_by(WorkspaceMessage.engagement_id)
        )
    }
    return totals, unread


def conversations(ctx: LaunchContext, engagements: list[Engagement]) -> list[Conversation]:
    """The conversations of these engagements (which the launch may see), with counts for
    the launch's person, in two grouped queries."""
    ids = [e.id for e in engagements]
    if not ids:
        return []
    reader = Reader.of_launch(ctx)
    totals: dict[int, tuple[int, dt.datetime | None]] = {}
    unread: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):  # an institution's engagements: short IN lists
        chunk_totals, chunk_unread = _counts(ctx, reader, ids[start : start + CHUNK])
        totals.update(chunk_totals)
        unread.update(chunk_unread)
    return [
        Conversation(
            e,
            totals.get(e.id, (0, None))[0],
            int(unread.get(e.id, 0)),
            totals.get(e.id, (0, None))[1],
        )
        for e in engagements
    ]


def summary(ctx: LaunchContext) -> tuple[int, int]:
    """(messages unread by the launch's person, conversations with messages) over the
    engagements a faculty member's course or an advisor's institution has: two counts in
    SQL, no engagement loaded (the homes show them)."""
    seen = select(Engagement.id).where(Engagement.tenant_id == ctx.tenant_id)
    if ctx.role == "faculty":
        if ctx.course_id is None:
            return 0, 0
        seen = seen.where(Engagement.course_id == ctx.course_id)
    elif ctx.role != "advisor":
        return 0, 0
    reader = Reader.of_launch(ctx)
    scope = [
        WorkspaceMessage.tenant_id == ctx.tenant_id,
        WorkspaceMessage.engagement_id.in_(seen.scalar_subquery()),
    ]
    active = db.session.scalar(
        select(func.count(func.distinct(WorkspaceMessage.engagement_id))).where(*scope)
    )
    mark = (
        select(MessageRead.engagement_id, MessageRead.last_read_id)
        .where(MessageRead.tenant_id == ctx.tenant_id, MessageRead.reader == reader.key)
        .subquery()
    )
    unread = db.session.scalar(
        select(func.count(WorkspaceMessage.id))
        .outerjoin(mark, mark.c.engagement_id == WorkspaceMessage.engagement_id)
        .where(*scope, not_by(reader), WorkspaceMessage.id > func.coalesce(mark.c.last_read_id, 0))
    )
    return int(unread or 0), int(active or 0)
