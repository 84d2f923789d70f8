"""The engagement page's lists in one statement (issue 16): the hour logs, deliverables and
open reopenings the page shows, and what its workspace panels list (the latest messages with
the reader's read mark, the message count and whether the reader joined the conversation, the
checklist rows, the milestones and their proposed changes, the latest check-ins, the
payments). Each list is kept as what its own read returns once per transaction
(``work.services.reads``), so the page and its panels find them without a statement each.

Every list's ids (tagged by kind, numbered in the list's own order) come from a branch scoped
by tenant and engagement; each id is joined back to its row (the other kinds' columns are NULL
on a row)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import String, bindparam, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from lti_tool.extensions import db

from ..employers.pay.models import Payment
from ..work.models import Deliverable, Engagement, EngagementReopening, HourLog
from ..work.services.reads import keep
from .messages.models import MessageParticipant, MessageRead, WorkspaceMessage
from .messages.services import SHOWN as MESSAGES_SHOWN
from .messages.services import Reader
from .plan.models import ChecklistItem, Milestone, MilestoneChange
from .rhythm.checkins import SHOWN as CHECKINS_SHOWN
from .rhythm.models import CheckIn

# the kinds whose rows are joined back, in the statement's column order
MODELS: dict[str, Any] = {
    "hour_logs": HourLog,
    "deliverables": Deliverable,
    "open_reopenings": EngagementReopening,
    "messages": WorkspaceMessage,
    "checklist_rows": ChecklistItem,
    "milestones": Milestone,
    "milestone_changes": MilestoneChange,
    "checkins": CheckIn,
    "payments": Payment,
}
# each under a short alias (its columns are named once per row kind and again in its branch):
# the statement stays under psycopg's 4,096 characters, the parse it keeps
ROW_MODELS: dict[str, Any] = {
    kind: aliased(model, name=f"t{n}") for n, kind in enumerate(MODELS) for model in [MODELS[kind]]
}


def _kind(kind: str) -> Any:
    """The kind as an SQL literal: a bound parameter each would make the statement's text
    longer to parse on every request."""
    return literal_column(f"'{kind}'", String)


def _ids(
    kind: str,
    model: Any,
    order: tuple[Any, ...],
    limit: int | None = None,
    where: tuple[Any, ...] = (),
) -> Any:
    """The ids of the engagement's ``model`` rows (``where``) in ``order`` (the first
    ``limit``)."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    where = (model.tenant_id == tenant_id, model.engagement_id == engagement_id, *where)
    stmt = select(
        _kind(kind).label("kind"),
        model.id.label("id"),
        func.row_number().over(order_by=order).label("pos"),
    ).where(*where)
    if limit is None:
        return stmt
    # SQLite allows no LIMIT on a member of a UNION: the limited select is a subquery
    limited = stmt.order_by(*order).limit(limit).subquery(f"l{kind[:2]}")
    return select(limited.c.kind, limited.c.id, limited.c.pos)


def _values(kind: str, value: Any, model: Any, *where: Any) -> Any:
    """One number (in the ``id`` column) about the engagement's ``model`` rows."""
    zero: Any = literal_column("0").label("pos")
    return select(_kind(kind).label("kind"), value.label("id"), zero).where(
        model.tenant_id == bindparam("tenant_id"),
        model.engagement_id == bindparam("engagement_id"),
        *where,
    )


@functools.cache
def _statement() -> Any:
    """Built once: a request binds ``tenant_id``, ``engagement_id``, ``reader`` (the read
    mark's key) and ``user_id`` (the reader's, for their participation). Each branch reads its
    table under a short alias too (``b0``, ``b1``, ...)."""
    b = [aliased(model, name=f"b{n}") for n, model in enumerate(MODELS.values())]
    hours, delivered, reopened, messages, checklist, milestones, changes, checkins, paid = b
    count = aliased(WorkspaceMessage, name="c")
    read = aliased(MessageRead, name="r")
    joined = aliased(MessageParticipant, name="p")
    keys = union_all(
        _ids("hour_logs", hours, (hours.work_date, hours.id)),
        _ids("deliverables", delivered, (delivered.created_at, delivered.id)),
        _ids("open_reopenings", reopened, (reopened.id,), where=(reopened.closed_at.is_(None),)),
        _ids("messages", messages, (messages.id.desc(),), MESSAGES_SHOWN),
        _ids("checklist_rows", checklist, (checklist.position,)),
        _ids("milestones", milestones, (milestones.due_date, milestones.position, milestones.id)),
        _ids("milestone_changes", changes, (changes.proposed_at.desc(), changes.id.desc())),
        _ids("checkins", checkins, (checkins.week_start.desc(),), CHECKINS_SHOWN),
        _ids("payments", paid, (paid.paid_on.desc(), paid.id.desc())),
        _values("message_count", func.count(count.id), count),
        _values("read_mark", read.last_read_id, read, read.reader == bindparam("reader")),
        _values("participant", joined.id, joined, joined.user_id == bindparam("user_id")),
    ).subquery("k")
    stmt = select(keys.c.kind, keys.c.id, *ROW_MODELS.values()).select_from(keys)
    for kind, model in ROW_MODELS.items():
        stmt = stmt.outerjoin(model, (keys.c.kind == _kind(kind)) & (model.id == keys.c.id))
    return stmt.order_by(keys.c.kind, keys.c.pos)


def read_page_lists(engagement: Engagement, reader: Reader) -> None:
    """Read the engagement's lists (see the module's docstring) for ``reader`` and keep each
    for its own read in this transaction."""
    params = {
        "tenant_id": engagement.tenant_id,
        "engagement_id": engagement.id,
        "reader": reader.key,
        "user_id": reader.user_id,
    }
    lists: dict[str, list[Any]] = {kind: [] for kind in ROW_MODELS}
    numbers: dict[str, int] = {}
    columns = {kind: index for index, kind in enumerate(ROW_MODELS, start=2)}
    for row in db.session.execute(_statement(), params):
        kind = row[0]
        if kind in columns:
            lists[kind].append(row[columns[kind]])
        else:
            numbers[kind] = int(row[1] or 0)
    messages = lists["messages"][::-1]  # the latest, oldest first
    for kind in ("hour_logs", "deliverables", "open_reopenings", "checklist_rows", "payments"):
        keep(kind, engagement, lists[kind])
    keep("recent_checkins", engagement, lists["checkins"])
    keep("milestones_and_changes", engagement, (lists["milestones"], lists["milestone_changes"]))
    keep("message_count", engagement, numbers.get("message_count", 0))
    keep(
        f"latest_messages:{reader.key}",
        engagement,
        (messages, numbers.get("read_mark", 0) if messages else 0),
    )
    keep(f"participant:{reader.key}", engagement, "participant" in numbers)
