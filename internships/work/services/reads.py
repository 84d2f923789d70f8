"""An engagement's rows read once per transaction: the engagement page reads its hour logs,
deliverables and evaluation, and the workspace and credential panels beside them read the
same again (issue 16). What a transaction read is kept in its session's ``info`` and dropped
as soon as anything may have changed it: a flush, a statement that writes (``insert``,
``update``, ``delete`` through the session), the end of any transaction or savepoint. A
session with pending changes reads afresh (its autoflush writes them first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from lti_tool.extensions import db

T = TypeVar("T")
_KEY = "work_reads"


def kept(kind: str, engagement: Any, read: Callable[[], T]) -> T:
    """``read()`` for ``kind`` of ``engagement``, once per transaction of the request's
    session (a list comes back as a copy: a caller may change its own)."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.info.pop(_KEY, None)
        return read()
    reads = session.info.setdefault(_KEY, {})
    key = (kind, engagement.tenant_id, engagement.id)
    if key not in reads:
        reads[key] = read()
    value = reads[key]
    return list(value) if isinstance(value, list) else value  # type: ignore[return-value]


def keep(kind: str, engagement: Any, value: Any) -> None:
    """Keep ``value`` as what ``kept`` reads for ``kind`` of ``engagement`` (a page that read
    several kinds in one statement), unless the session has changes a read would flush."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return
    session.info.setdefault(_KEY, {})[(kind, engagement.tenant_id, engagement.id)] = value


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEY, None)


def _forget_after_writes(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget(state.session)


event.listen(Session, "after_flush", _forget)
event.listen(Session, "after_transaction_end", _forget)
event.listen(Session, "do_orm_execute", _forget_after_writes)
