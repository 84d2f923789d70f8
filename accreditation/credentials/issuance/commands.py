"""``flask --app lti_tool credentials issue --tenant NAME``: issue (and correct) every
credential a tenant is missing now, in the foreground, with its progress."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lti_tool.actor import Actor
from lti_tool.cli import tenant_named
from lti_tool.extensions import db

from . import batch as batches


@click.command("issue")
@click.option("--tenant", "tenant_name", required=True, help="The tenant (institution).")
@with_appcontext
def issue_command(tenant_name: str) -> None:
    """Issue every credential the tenant's completed engagements and credit awards are
    missing, and replace those of corrected awards (a background task, run here)."""
    tenant = tenant_named(tenant_name)
    job = batches.queue_batch(Actor.cli(tenant.id, "credentials issue"))
    db.session.commit()
    done = batches.run_batch(job.id)
    if done is None:
        raise click.ClickException(
            "Another runner is issuing this institution's credentials; 'flask tasks list' shows it."
        )
    click.echo(batches.describe(done))


COMMANDS = (issue_command,)
