"""``flask --app lti_tool credit demo``: demo credit policies and decisions for ``make run``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Tenant


@click.command("demo")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@with_appcontext
def demo_command(tenant_ref: str) -> None:
    """Load demo credit policies and decisions into a tenant (idempotent; run after
    ``listings demo``)."""
    from .demo import seed_credit

    stmt = select(Tenant).where(
        Tenant.id == int(tenant_ref) if tenant_ref.isdigit() else Tenant.name == tenant_ref
    )
    tenant = db.session.scalar(stmt)
    if tenant is None:
        raise click.BadParameter(f"no tenant {tenant_ref!r}", param_hint="--tenant")
    ready = seed_credit(tenant.id)
    db.session.commit()
    click.echo(f"Demo credit policies are in {tenant.name!r} ({ready} students ready for review).")
