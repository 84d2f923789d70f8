"""``flask --app lti_tool evidence sync``: record the evidence of supervisor ratings from the
command line (the runner's tick does it within a minute anyway)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lti_tool.cli import tenant_named
from lti_tool.extensions import db

from . import services


@click.command("sync")
@with_appcontext
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
def sync_command(tenant_name: str) -> None:
    """Record evidence for supervisor ratings not yet recorded (safe to run at any time)."""
    tenant = tenant_named(tenant_name)
    added = services.sync_supervisor_evidence(tenant.id)
    db.session.commit()
    click.echo(f"Recorded {added} new evidence rows for {tenant_name!r}.")
