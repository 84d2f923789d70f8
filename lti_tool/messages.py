"""Flashed messages that reach the person whether or not the LMS iframe keeps the cookie.

Flask keeps ``flash()`` messages in the cookie session, which a browser blocking third-party
cookies (Safari's default, Chrome's option) drops inside the LMS frame: every confirmation and
every refusal after a redirect would be lost. Within a launch, messages move to the server
instead: after a request, what the session holds under ``_flashes`` goes into
``launch_message`` rows of that launch (and out of the session); the next page of the launch
that shows messages (``get_flashed_messages`` in ``templates/base.html``) takes them out (one
``DELETE ... RETURNING``): shown once. Call sites keep using ``flask.flash``. Requests without
a launch (signed supervisor links, public pages: top-level pages where the cookie works) keep
Flask's cookie flashes. Message text is personal at times; it is never logged.
"""

from __future__ import annotations

import functools
import logging
from types import SimpleNamespace
from typing import Any

import flask
from flask import Flask, g, session
from flask.globals import request_ctx
from sqlalchemy import DateTime, String, Text, bindparam, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Launch, LaunchMessage, utcnow
from .unit_of_work import finish, finished, will_commit

SESSION_KEY = "_flashes"  # where flask.flash keeps messages
MAX_PENDING = 20  # a launch that piles up messages without looking keeps the newest only
_SHOWN = "launch_messages_shown"
_LOADED = "launch_messages_loaded"

log = logging.getLogger("career_credit.messages")


def _pending_from_session() -> list[tuple[str, str]]:
    """The messages flashed and not shown, taken out of the session (``[]`` when none)."""
    if SESSION_KEY not in session:
        return []
    found = session.pop(SESSION_KEY) or []
    return [(str(category)[:32], str(text)) for category, text in found]


def load_for_launch() -> None:
    """Give this request's flashes the stored messages of its launch (oldest first), once per
    request: taken out in one statement (``DELETE ... RETURNING``) in the request's
    transaction, so a request that commits deletes them with its own work; one that is rolled
    back deletes them again afterwards (``save_after_request``): shown once either way."""
    launch = g.get("launch")
    if launch is None or g.get(_LOADED):
        return
    g.setdefault(_LOADED, True)
    if g.get("launch_messages_waiting") == 0:  # the launch's lookup found none stored
        return
    rows = sorted(
        db.session.execute(
            _statements().take,
            {"tenant_id": launch.tenant_id, "launch_id": launch.launch_id},
        ).all()
    )
    if not rows:
        return
    g.setdefault(_SHOWN, []).extend(row.id for row in rows)
    stored = [(row.category, row.text) for row in rows]
    if request_ctx.flashes is None:
        session_flashes = session.pop(SESSION_KEY) if SESSION_KEY in session else []
        request_ctx.flashes = stored + list(session_flashes)
    else:
        request_ctx.flashes = stored + list(request_ctx.flashes)


def get_flashed_messages(with_categories: bool = False, category_filter: Any = ()) -> list[Any]:
    """``flask.get_flashed_messages`` with the launch's stored messages first."""
    load_for_launch()
    return flask.get_flashed_messages(with_categories, category_filter)


def save_after_request(response: Any) -> Any:
    """Inside a launch: store the messages flashed and not shown. A request that commits
    carries them in its own commit (one commit, not two), with the deletion of those it showed;
    one that is rolled back (a failure, a refusal) stores them, and deletes the shown ones
    again, in a transaction of their own afterwards."""
    launch = g.get("launch")
    if launch is None:
        return response
    pending = _pending_from_session()
    shown = g.pop(_SHOWN, None)
    if not pending and not shown:
        return response
    # What waited when the launch was read (counted up to one more than the limit), less what
    # this request showed, plus what it adds: only past the limit is the list trimmed (the
    # usual POST: one confirmation, no trim statement).
    waiting = g.get("launch_messages_waiting")
    trim = waiting is None or waiting - len(shown or []) + len(pending) > MAX_PENDING
    if will_commit(response) and not finished():
        if not pending:  # the shown ones went with the request's transaction, which commits
            finish(response)
            return response
        # no savepoint around it (two statements more on every confirmed POST): the insert
        # cannot fail on its launch (``_statements``), so it never takes the request's work
        _store(launch.tenant_id, launch.launch_id, pending, [], trim)
        finish(response)
        return response
    finish(response)  # ended first (here, rolled back): this commit carries only the messages
    # after a rollback, the shown ones are deleted again; a request that ended its unit of work
    # before its page took them out has that deletion in the transaction committed here
    again = [] if will_commit(response) else shown or []
    try:
        _store(launch.tenant_id, launch.launch_id, pending, again, trim)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        _lost(pending)
    return response


def _lost(pending: list[tuple[str, str]]) -> None:
    # e.g. the database failed after the request's own rollback: the page still answers; only
    # the messages (never logged: they may name people) are lost.
    log.warning("Could not keep %d message(s) for the next page of a launch", len(pending))


def _store(
    tenant_id: int,
    launch_id: str,
    pending: list[tuple[str, str]],
    shown: list[int],
    trim: bool = True,
) -> None:
    """Three statements at most: the shown ones deleted (after a rollback took back their
    deletion); the new ones inserted (rows, not objects: nothing reads them back) and, with
    ``trim``, all but the newest ``MAX_PENDING`` deleted."""
    mine = {"tenant_id": tenant_id, "launch_id": launch_id}
    if shown:
        db.session.execute(_statements().shown, {**mine, "ids": shown})
    if pending:
        rows = [{**mine, "category": c, "text": t, "created_at": utcnow()} for c, t in pending]
        db.session.execute(_statements().insert, rows[0] if len(rows) == 1 else rows)
        if trim:
            db.session.execute(_statements().trim, mine)


@functools.cache
def _statements() -> SimpleNamespace:
    """Built once, on the table (no ORM bookkeeping: nothing of them is held as objects).

    A message is inserted from its launch's row (``INSERT ... SELECT ... FOR KEY SHARE``): a
    launch deleted meanwhile (expired and purged, or its person erased) inserts nothing rather
    than break the foreign key, so the insert can share the request's transaction without a
    savepoint. On PostgreSQL the lock makes a concurrent delete wait for the request's commit,
    or, committed first, leaves no row to insert from; on SQLite one writer at a time."""
    table = LaunchMessage.__table__
    launch = Launch.__table__
    from_launch = (
        select(
            launch.c.tenant_id,
            launch.c.id,
            bindparam("category", type_=String),
            bindparam("text", type_=Text),
            bindparam("created_at", type_=DateTime),
        )
        .where(launch.c.id == bindparam("launch_id"), launch.c.tenant_id == bindparam("tenant_id"))
        .with_for_update(key_share=True)
    )
    mine = (
        table.c.tenant_id == bindparam("tenant_id"),
        table.c.launch_id == bindparam("launch_id"),
    )
    newest = select(table.c.id).where(*mine).order_by(table.c.id.desc()).limit(MAX_PENDING)
    return SimpleNamespace(
        take=delete(table).where(*mine).returning(table.c.id, table.c.category, table.c.text),
        shown=delete(table).where(*mine, table.c.id.in_(bindparam("ids", expanding=True))),
        insert=insert(table).from_select(
            ["tenant_id", "launch_id", "category", "text", "created_at"], from_launch
        ),
        trim=delete(table).where(*mine, table.c.id.not_in(newest)),
    )


def init_app(app: Flask) -> None:
    """Templates read messages through the launch-aware ``get_flashed_messages``."""
    app.jinja_env.globals["get_flashed_messages"] = get_flashed_messages
    app.after_request(save_after_request)


# --- pages without a launch (signed links) -------------------------------------------------------


def sign_note(message: str, salt: str) -> str:
    """A confirmation for a page reached without a launch (a supervisor's or an employer's
    signed link), to carry in the address of the page it redirects to: signed, so that the page
    shows only what the tool said (``read_note``)."""
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(flask.current_app.config["SECRET_KEY"], salt=salt).dumps(message)


def read_note(value: str | None, salt: str) -> str:
    """The confirmation ``sign_note`` put in the address, or "" (none, or not signed by us)."""
    from itsdangerous import BadSignature, URLSafeSerializer

    if not value:
        return ""
    try:
        text = URLSafeSerializer(flask.current_app.config["SECRET_KEY"], salt=salt).loads(value)
    except BadSignature:
        return ""
    return text if isinstance(text, str) else ""
