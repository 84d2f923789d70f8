"""``flask --app lti_tool frameworks import|export|seed``: CASE packages from the command line.
Bad arguments give a one-line error and a non-zero exit; an import is one commit or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.cli import fail, tenant_named
from lti_tool.errors import EXPLAINED, AppError
from lti_tool.extensions import db
from lti_tool.models import Tenant

from . import case, case_export, services


@click.command("import")
@with_appcontext
@click.argument("source")
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
@click.option(
    "--kind",
    type=click.Choice(case.KINDS),
    default="program",
    show_default=True,
    help="What a new framework holds.",
)
def import_command(source: str, tenant_name: str, kind: str) -> None:
    """Import a CASE package from a FILE or a provider's CFPackages URL."""
    from connectors.case import fetch_package
    from lti_tool import netguard

    tenant = tenant_named(tenant_name)
    try:
        if source.startswith(("https://", "http://")):
            data = fetch_package(source, netguard.operator_session(), allow_http=True)
        else:
            path = Path(source)
            if not path.is_file():
                fail(f"No such file: {source}")
            try:
                data = json.loads(path.read_bytes())
            except (ValueError, UnicodeDecodeError) as exc:
                fail(f"package: not JSON ({exc})")
        result = case.import_package(
            Actor.cli(tenant.id),
            case.parse_package(data),
            kind=kind,
            source_url=source if "://" in source else None,
        )
        db.session.commit()
    except EXPLAINED as exc:  # a CASE provider's error too
        fail(exc.message)
    click.echo(
        f"Imported {result.framework.title!r} (id {result.framework.id}): {result.created} new, "
        f"{result.revised} changed, {result.unchanged} unchanged, {result.retired} retired."
    )


@click.command("export")
@with_appcontext
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
@click.option("--framework", "framework_ref", required=True, help="Id, identifier or title.")
def export_command(out: str, tenant_name: str, framework_ref: str) -> None:
    """Write a framework as a CASE 1.1 package to OUT ("-" for standard output)."""
    tenant = tenant_named(tenant_name)
    if framework_ref.isdigit() or len(framework_ref) != 36:
        services.ensure_builtin_frameworks(tenant.id)
        db.session.commit()
    try:
        fw = services.framework_by_title(tenant.id, framework_ref)
    except AppError as exc:
        fail(exc.message)
    body = json.dumps(case_export.export_package(fw), indent=2, ensure_ascii=False)
    if out == "-":
        click.echo(body)
    else:
        Path(out).write_text(body + "\n", encoding="utf-8")
        click.echo(f"Wrote {fw.title!r} ({len(fw.items)} items) to {out}.")


@click.command("list")
@with_appcontext
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
def list_command(tenant_name: str) -> None:
    """List a tenant's frameworks (the built-ins are added first if missing)."""
    tenant = tenant_named(tenant_name)
    services.ensure_builtin_frameworks(tenant.id)
    db.session.commit()
    for fw in services.list_frameworks(tenant.id):
        click.echo(f"{fw.id}\t{fw.identifier}\t{fw.kind}\t{fw.source}\t{fw.title}")


@click.command("seed")
@with_appcontext
@click.option("--tenant", "tenant_name", default=None, help="One tenant's name (default: all).")
def seed_command(tenant_name: str | None) -> None:
    """Add the built-in frameworks to every tenant (or one) that lacks them; safe to repeat."""
    if tenant_name is not None:
        tenants = [tenant_named(tenant_name)]
    else:
        tenants = list(db.session.scalars(select(Tenant).order_by(Tenant.id)))
    added = 0
    for tenant in tenants:
        if services.builtin_framework(tenant.id) is None:
            services.set_up_tenant(tenant.id)
            added += 1
        db.session.commit()
    click.echo(f"Built-in frameworks added for {added} of {len(tenants)} tenants.")
