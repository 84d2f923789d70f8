"""``flask --app lti_tool grades sync|status|retry``: drive the outbox by hand."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from . import jobs
from .errors import AppError
from .extensions import db

grades_cli = AppGroup("grades", help="Grade passback: the outbox of scores for the LMS.")


@grades_cli.command("sync")
@click.option("--max-rows", type=click.IntRange(min=1), default=None, help="Stop after this many.")
@click.option("--senders", type=click.IntRange(min=1, max=64), default=4, show_default=True)
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Also wait up to this many seconds for retries that come due.",
)
def grades_sync(max_rows: int | None, senders: int, wait_s: float) -> None:
    """Deliver every due message now (sweeps expired leases first)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stats = jobs.drain(app, max_rows=max_rows, senders=senders, wait_s=wait_s)
    click.echo(
        f"Claimed {stats.claimed}: {stats.sent} sent, {stats.retried} to retry, "
        f"{stats.superseded} superseded, {stats.failed} failed"
        + (f", {stats.swept} re-driven after an expired lease" if stats.swept else "")
        + "."
    )


@grades_cli.command("status")
@click.option("--tenant-id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON line.")
def grades_status(tenant_id: int | None, as_json: bool) -> None:
    """How many messages are pending, sending, sent, superseded and failed."""
    counts = jobs.status_counts(tenant_id)
    if as_json:
        click.echo(json.dumps(counts))
        return
    for status, n in counts.items():
        click.echo(f"{status}\t{n}")


@grades_cli.command("retry")
@click.argument("row_id", type=int)
def grades_retry(row_id: int) -> None:
    """Put a failed message back in the queue."""
    try:
        jobs.retry(row_id)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Message {row_id} is queued again.")
