"""Conversations across engagements: counts of messages and of those unread, for a student's
home (counted with the home's engagement facts), a faculty member's course and an advisor's
institution."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select

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


@dataclass(frozen=True)
class UnreadLine:
    """One of the student's engagements with messages they have not read."""

    engagement_id: int
    title: str
    employer: str
    unread: int


@functools.cache
def _mark(tenant_id: Any, reader: Any) -> Any:
    """The reader's read marks, by engagement (a subquery)."""
    return (
        select(MessageRead.engagement_id, MessageRead.last_read_id)
        .where(MessageRead.tenant_id == tenant_id, MessageRead.reader == reader)
        .subquery()
    )


def unread_by_others(engagement_id: Any) -> Any:
    """The messages others wrote in an engagement's conversation that the student has not
    read, as a scalar subquery of ``engagement_id`` (bound per request: ``tenant_id``,
    ``student_id``, ``reader``). The student's home counts them with the facts of the
    engagements it reads anyway (``timeline.student_work``) instead of reading those
    engagements, their listings and employers again."""
    tenant_id: Any = bindparam("tenant_id")
    student_id: Any = bindparam("student_id")
    last_read = (
        select(MessageRead.last_read_id)
        .where(
            MessageRead.tenant_id == tenant_id,
            MessageRead.engagement_id == engagement_id,
            MessageRead.reader == bindparam("reader"),
        )
        # the engagement is the outer statement's, two levels up (auto-correlation reaches
        # only the enclosing one: uncorrelated, this read every conversation's mark)
        .correlate_except(MessageRead)
        .scalar_subquery()
    )
    return (
        select(func.count(WorkspaceMessage.id))
        .where(
            WorkspaceMessage.tenant_id == tenant_id,
            WorkspaceMessage.engagement_id == engagement_id,
            or_(WorkspaceMessage.author_id.is_(None), WorkspaceMessage.author_id != student_id),
            WorkspaceMessage.id > func.coalesce(last_read, 0),
        )
        .scalar_subquery()
    )


def student_unread(engagements: Iterable[Any]) -> list[UnreadLine]:
    """The student's engagements with unread messages, in the order given (the home's facts:
    newest first), from their ``unread_messages`` counts (no query)."""
    return [
        UnreadLine(e.id, e.title, e.employer, e.unread_messages)
        for e in engagements
        if e.unread_messages
    ]


@functools.cache
def _summary_statement(faculty: bool, user_reader: bool) -> Any:
    """The conversations with messages and those unread by the reader, over the engagements
    of a course (``faculty``) or of the tenant: built once, bound per request (``tenant_id``,
    ``course_id``, ``reader`` and ``user_id``, or ``kind``)."""
    tenant_id: Any = bindparam("tenant_id")
    seen = select(Engagement.id).where(Engagement.tenant_id == tenant_id)
    if faculty:
        seen = seen.where(Engagement.course_id == bindparam("course_id"))
    mark = _mark(tenant_id, bindparam("reader"))
    others = (
        or_(
            WorkspaceMessage.author_id.is_(None), WorkspaceMessage.author_id != bindparam("user_id")
        )
        if user_reader
        else WorkspaceMessage.author_kind != bindparam("kind")
    )
    unread = and_(others, WorkspaceMessage.id > func.coalesce(mark.c.last_read_id, 0))
    return (
        select(
            func.count(func.distinct(WorkspaceMessage.engagement_id)),
            func.coalesce(func.sum(case((unread, 1), else_=0)), 0),
        )
        .select_from(WorkspaceMessage)
        .outerjoin(mark, mark.c.engagement_id == WorkspaceMessage.engagement_id)
        .where(
            WorkspaceMessage.tenant_id == tenant_id,
            WorkspaceMessage.engagement_id.in_(seen.scalar_subquery()),
        )
    )


def summary(ctx: LaunchContext) -> tuple[int, int]:
    """(messages unread by the launch's person, conversations with messages) over the
    engagements a faculty member's course or an advisor's institution has: one statement, no
    engagement loaded (the homes show them)."""
    if ctx.role == "faculty":
        if ctx.course_id is None:
            return 0, 0
    elif ctx.role != "advisor":
        return 0, 0
    reader = Reader.of_launch(ctx)
    params = {
        "tenant_id": ctx.tenant_id,
        "course_id": ctx.course_id,
        "reader": reader.key,
        "user_id": reader.user_id,
        "kind": reader.kind,
    }
    statement = _summary_statement(ctx.role == "faculty", reader.user_id is not None)
    row = db.session.execute(statement, params).one()
    return int(row[1] or 0), int(row[0] or 0)
