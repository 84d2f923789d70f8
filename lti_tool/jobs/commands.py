"""``flask --app lti_tool jobs sync|status|retry``: drive the outbox by hand (first named
``grades``, which still works)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import AppError
from ..extensions import db
from .drain import drain
from .outbox import retry, status_counts

HELP = "The outbox: scores, rubric ratings and email waiting to be delivered."


@click.command("sync")
@with_appcontext
@click.option("--max-rows", type=click.IntRange(min=1), default=None, help="Stop after this many.")
@click.option("--senders", type=click.IntRange(min=1, max=64), default=4, show_default=True)
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Also wait up to this many seconds for retries that come due.",
)
def jobs_sync(max_rows: int | None, senders: int, wait_s: float) -> None:
    """Deliver every due message now (sweeps expired leases first)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stats = drain(app, max_rows=max_rows, senders=senders, wait_s=wait_s)
    click.echo(
        f"Claimed {stats.claimed}: {stats.sent} sent, {stats.retried} to retry, "
        f"{stats.superseded} superseded, {stats.failed} failed"
        + (f", {stats.swept} re-driven after an expired lease" if stats.swept else "")
        + "."
    )


@click.command("status")
@with_appcontext
@click.option("--tenant-id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON line.")
def jobs_status(tenant_id: int | None, as_json: bool) -> None:
    """How many messages are pending, sending, sent, superseded and failed."""
    counts = status_counts(tenant_id)
    if as_json:
        click.echo(json.dumps(counts))
        return
    for status, n in counts.items():
        click.echo(f"{status}\t{n}")


@click.command("retry")
@with_appcontext
@click.argument("row_id", type=int)
def jobs_retry(row_id: int) -> None:
    """Put a failed message back in the queue."""
    try:
        retry(row_id)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Message {row_id} is queued again.")


COMMANDS = (jobs_sync, jobs_status, jobs_retry)
FIRST_NAMES = {"grades": COMMANDS}
