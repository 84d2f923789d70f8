"""One unit of work per request: the request commits once, after its view, or writes nothing.

The rule (Indico's request handler keeps the same one):

- A view that returns a response below 400 (a page, a redirect after a POST, a download) has
  its session committed once, after it returns and before the response leaves
  (``finish``). Views do not call ``db.session.commit()``; services only flush.
- A view that raises, or answers 400 or above (a refused form re-rendered with 422, a 403, a
  404, a 500), is rolled back: a refused action writes nothing, never half of itself.
- A refusal that answers with a redirect (``refused``: the reason flashed where the person came
  from, a 303) is rolled back too: it marks the request so that ``finish`` rolls back.
- The one opt-out is ``commit_now()``, greppable, for a view at a real network boundary: it
  commits what is done so far before talking to another system (the LMS's AGS/NRPS, Dynamic
  Registration, OAuth with Canvas), so that no write transaction waits on the network, or so
  that a record must survive a refusal that follows (a consumed launch state). Anything after
  it is again committed or rolled back by ``finish``.
- Flashed messages of a launch are display state: ``lti_tool.messages`` stores them after the
  request's own commit or rollback, in a transaction of their own (``finish`` runs first).

Not requests, so not covered: CLI commands and the job runners (the outbox, imports, exports,
retention) commit their own work, batch by batch.

View helpers for the three outcomes of a form: ``done`` (flash, redirect; the handler commits),
``refused`` (roll back, flash the reason, redirect) and ``field_errors`` (put a domain error's
field messages on a WTForms form; the view re-renders with 422 — ``form_page`` — and the
handler rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, g, redirect, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from .errors import AppError
from .extensions import db

_FINISHED = "unit_of_work_finished"
_REFUSED = "unit_of_work_refused"


def commit_now() -> None:
    """Commit the request's work so far: only before a call to another system over the network,
    or to keep a record that a refusal raised next must not take back. Say which in a comment."""
    db.session.commit()


_WROTE = text("SELECT txid_current_if_assigned() IS NOT NULL")


def end_reads() -> None:
    """End the request's transaction before waiting on another system, when so far it has only
    read (nothing of it is kept either way). On PostgreSQL it ends with a commit if the
    transaction wrote nothing (the server assigns a transaction id at the first write): psycopg
    forgets every statement it prepared on the connection at a rollback, so the request's next
    statements, and the next requests', would be parsed and planned again. Anything written
    is still taken back, as a rollback does."""
    session = db.session()
    if not session.in_transaction():
        return
    if (
        session.get_bind().dialect.name == "postgresql"
        and not (session.new or session.dirty or session.deleted)
        and not session.execute(_WROTE).scalar()
    ):
        session.commit()
    else:
        session.rollback()


def refuse() -> None:
    """Take back everything this request has written, and keep it so: ``finish`` rolls back
    whatever the response. For a refusal answered with a redirect rather than a 4xx page."""
    db.session.rollback()
    g.setdefault(_REFUSED, True)
    g.pop(_FINISHED, None)


def finish(response: Any) -> Any:
    """End the request's unit of work once: commit on a response below 400, roll back on an
    error response or after ``refuse()``."""
    if g.get(_FINISHED):
        return response
    g.setdefault(_FINISHED, True)
    if not db.session().in_transaction():
        return response  # the request never used the database (nothing added, nothing read)
    if will_commit(response):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def finished() -> bool:
    """Whether ``finish`` has ended this request's unit of work already."""
    return bool(g.get(_FINISHED))


def will_commit(response: Any) -> bool:
    """Whether ``finish`` commits this response's request (below 400, not refused)."""
    return bool(response.status_code < 400 and not g.get(_REFUSED))


def done(message: str, endpoint: str, **values: Any) -> ResponseReturnValue:
    """An action carried out: its confirmation flashed and a 303 to ``endpoint`` of the launch
    (the handler commits)."""
    from .web import launch_url

    flash(message, "success")
    return redirect(launch_url(endpoint, **values), code=303)


def refused(exc: AppError, endpoint: str, **values: Any) -> ResponseReturnValue:
    """A refused action: nothing saved, the reason (and a hint of its own, if the error has one)
    flashed where the person came from."""
    from .web import launch_url

    refuse()
    hint = exc.hint if exc.hint != type(exc).hint else ""
    flash(f"{exc.message} {hint}".strip(), "error")
    return redirect(launch_url(endpoint, **values), code=303)


def field_errors(
    form: Any,
    exc: AppError,
    *,
    aliases: dict[str, str] | None = None,
    fallback: str | None = None,
) -> None:
    """Show a domain error on a form: each of ``exc.errors`` on its field (renamed through
    ``aliases`` where the form calls it otherwise); a message with no field of the form goes
    to ``fallback`` if given, else to the form's own errors. Takes back the request's writes."""
    refuse()
    aliases = aliases or {}
    placed = False
    for name, message in exc.errors.items():
        target = form._fields.get(aliases.get(name, name))
        if target is None and fallback is not None:
            target = form._fields.get(fallback)
        if target is not None:
            target.errors = [*target.errors, message]
            placed = True
    if not placed:
        target = form._fields.get(fallback) if fallback is not None else None
        if target is not None:
            target.errors = [*target.errors, exc.message]
        else:
            form.form_errors.append(exc.message)


def form_page(template: str, form: Any, **context: Any) -> ResponseReturnValue:
    """A form's page: 200, or 422 when the form has errors (its own, or a refusal placed on it
    by ``field_errors``), so that the handler takes back the request's writes."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def init_app(app: Flask) -> None:
    """Commit or roll back each request once its view has answered."""
    app.after_request(finish)
