"""``flask --app lti_tool listings …``: import listings from a file, expire passed deadlines."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Tenant

from .services.imports import import_listings, read_records
from .services.listings import expire_listings

ACTOR = "command line"


def _tenant(name_or_id: str) -> Tenant:
    stmt = select(Tenant).where(
        Tenant.id == int(name_or_id) if name_or_id.isdigit() else Tenant.name == name_or_id
    )
    tenant = db.session.scalar(stmt)
    if tenant is None:
        raise click.BadParameter(f"no tenant {name_or_id!r}", param_hint="--tenant")
    return tenant


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@click.option("--dry-run", is_flag=True, help="Check every record; save nothing.")
@with_appcontext
def import_command(path: Path, tenant_ref: str, dry_run: bool) -> None:
    """Import listings from schema.org JobPosting JSON-LD or CSV (see docs/imports.md)."""
    tenant = _tenant(tenant_ref)
    records = read_records(path.read_bytes(), path.name)
    with click.progressbar(length=len(records), label=f"Importing {path.name}") as bar:
        report = import_listings(tenant.id, records, ACTOR, progress=lambda _: bar.update(1))
    for result in report.results:
        detail = f" — {result.reason}" if result.reason else ""
        click.echo(f"row {result.row}: {result.outcome} {result.external_id!r}{detail}")
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing saved: {report.summary}.")
    else:
        db.session.commit()
        click.echo(f"{report.summary}.")


@click.command("expire")
@with_appcontext
def expire_command() -> None:
    """Mark open listings whose application deadline has passed (in each tenant's time zone)
    expired."""
    total = 0
    for tenant in db.session.scalars(select(Tenant)):
        try:
            tz: dt.tzinfo = zoneinfo.ZoneInfo(tenant.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = dt.UTC
        total += expire_listings(tenant.id, dt.datetime.now(tz).date(), ACTOR)
    db.session.commit()
    click.echo(f"{total} listings expired.")


@click.command("demo")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@with_appcontext
def demo_command(tenant_ref: str) -> None:
    """Load the demo employers and listings into a tenant (idempotent; for `make run`)."""
    from .demo import seed_listings

    tenant = _tenant(tenant_ref)
    seed_listings(tenant.id)
    db.session.commit()
    click.echo(f"Demo listings are in {tenant.name!r}.")
