"""``flask --app lti_tool tasks list|run|resume``: the background tasks of every kind."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..extensions import db
from ..models import utcnow
from .lifecycle import STATUSES, unattended
from .registry import get_kind, kinds
from .runners import run_queued

HELP = "Background tasks of every kind (imports, exports): list, run, resume."


def _kind_names() -> list[str]:
    return [kind.name for kind in kinds()]


@click.command("list")
@with_appcontext
def tasks_list() -> None:
    """How many tasks of each kind are in each state, and how many wait for a runner."""
    for kind in kinds():
        counts: dict[str, int] = {
            status: int(count)
            for status, count in db.session.execute(
                select(kind.model.status, func.count(kind.model.id)).group_by(kind.model.status)
            )
        }
        waiting = db.session.scalar(
            select(func.count(kind.model.id)).where(unattended(kind.model, utcnow()))
        )
        states = ", ".join(f"{counts.get(status, 0)} {status}" for status in STATUSES)
        click.echo(f"{kind.name}: {states}; {waiting or 0} waiting for a runner")


@click.command("run")
@click.argument("kind", required=False)
@with_appcontext
def tasks_run(kind: str | None) -> None:
    """Run the queued tasks and resume those whose runner died (of KIND, else of every kind);
    needed only with JOB_RUNNER=off."""
    for name in [get_kind(kind).name] if kind else _kind_names():
        task_kind = get_kind(name)
        for job in run_queued(name):
            click.echo(task_kind.describe(job))


@click.command("resume")
@click.argument("kind")
@click.argument("task_id", type=int)
@with_appcontext
def tasks_resume(kind: str, task_id: int) -> None:
    """Run one task now if it is queued or its runner died (a running one is left alone)."""
    task_kind = get_kind(kind)
    job = task_kind.run(task_id)
    if job is None:
        raise click.ClickException(
            f"{kind} task {task_id} is not waiting for a runner (finished, running, or absent)."
        )
    click.echo(task_kind.describe(job))


COMMANDS = (tasks_list, tasks_run, tasks_resume)
