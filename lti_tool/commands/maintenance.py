"""`flask maintenance`: housekeeping a scheduler runs (retention)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..actor import Actor
from ..extensions import db
from ..models import Tenant
from .common import fail

maintenance_cli = AppGroup("maintenance", help="Housekeeping a scheduler runs.")


@maintenance_cli.command("purge")
def maintenance_purge() -> None:
    """Apply the retention rules: expired login states and launches, uploaded files past their
    tenant's retention, old audit entries (the scheduler runs this hourly)."""
    from ..privacy import retention

    counts = retention.purge()
    db.session.commit()
    click.echo(
        f"Removed {counts.get('login_states', 0)} expired login states and "
        f"{counts.get('launches', 0)} expired launches; "
        f"{counts.get('resume_files', 0)} résumé files, "
        f"{counts.get('deliverable_files', 0)} deliverable files and "
        f"{counts.get('audit_entries', 0)} audit entries past their retention."
    )


@maintenance_cli.command("retention")
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
@click.option("--files-days", type=click.IntRange(min=1), help="Keep uploaded files this long.")
@click.option("--audit-days", type=click.IntRange(min=1), help="Keep audit entries this long.")
def maintenance_retention(tenant_name: str, files_days: int | None, audit_days: int | None) -> None:
    """Show or set a tenant's retention periods (days after an engagement ends for files)."""
    from ..privacy import retention

    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        fail(f"There is no tenant named {tenant_name!r}.")
    if files_days is None and audit_days is None:
        policy = retention.policy_for(tenant)
    else:
        policy = retention.set_policy(Actor.cli(tenant.id), files_days, audit_days)
        db.session.commit()
    click.echo(
        f"{tenant_name}: uploaded files kept {policy.files_days} days after the engagement "
        f"ends; audit entries kept {policy.audit_days} days."
    )
