"""The student's evidence page (outcomes blueprint) and ``flask frameworks evidence-sync``."""

from __future__ import annotations

import click
from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from accreditation.frameworks.views import bp
from lti_tool.auth import current_launch, requires
from lti_tool.extensions import db
from lti_tool.models import Tenant

from . import services


@bp.get("/evidence")
@requires("student")
def my_evidence() -> ResponseReturnValue:
    ctx = current_launch()
    services.sync_supervisor_evidence(ctx.tenant_id, ctx.user_id)
    db.session.commit()
    return render_template(
        "outcomes/evidence.html", rows=services.student_evidence(ctx.tenant_id, ctx.user_id)
    )


@bp.cli.command("evidence-sync")
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
def evidence_sync(tenant_name: str) -> None:
    """Record evidence for supervisor ratings not yet recorded (safe to run at any time)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise click.ClickException(f"No tenant is named {tenant_name!r}.")
    added = services.sync_supervisor_evidence(tenant.id)
    db.session.commit()
    click.echo(f"Recorded {added} new evidence rows for {tenant_name!r}.")
