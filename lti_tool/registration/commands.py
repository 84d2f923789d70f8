"""CLI: ``flask --app lti_tool platform invite``, ``platform add-tenant`` and ``platform
show-config`` (added to the platform group by ``lti_tool.cli.register_cli``)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..actor import Actor
from ..errors import AppError
from ..extensions import db
from ..models import Tenant
from . import kits, services
from .services import tenants as regs


def _urls(base_url: str | None, key_set_id: str | None = None) -> kits.ToolUrls:
    base = base_url or current_app.config["PUBLIC_URL"]
    if not base:
        raise click.ClickException(
            "Pass --base-url https://your-tool.example.edu (or set CAREER_CREDIT_PUBLIC_URL): "
            "the LMS needs the tool's public address."
        )
    try:
        return kits.tool_urls(str(base), key_set_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


BASE_URL = click.option(
    "--base-url", help="The tool's public address (default: CAREER_CREDIT_PUBLIC_URL)."
)


@click.command("invite")
@with_appcontext
@click.option("--tenant", help="Register for this existing tenant (re-install, second LMS).")
@click.option("--new-tenant", help="Name of the tenant the registration creates.")
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    default=services.DEFAULT_INVITATION_HOURS,
    show_default=True,
    help="Hours before the link expires.",
)
@BASE_URL
def platform_invite(
    tenant: str | None, new_tenant: str | None, hours: float, base_url: str | None
) -> None:
    """Print a one-time Dynamic Registration URL for an LMS administrator."""
    urls = _urls(base_url)
    try:
        invitation, token = services.create_invitation(
            Actor.cli(), tenant_name=tenant, new_tenant_name=new_tenant, hours=hours
        )
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    target = tenant or (f"a new tenant {new_tenant!r}" if new_tenant else "a new tenant")
    click.echo(services.registration_url(urls, token))
    click.echo(
        f"One use, for {target}; expires {invitation.expires_at:%Y-%m-%d %H:%M} UTC. "
        "Paste it into the LMS's Dynamic Registration.",
        err=True,
    )


@click.command("add-tenant")
@with_appcontext
@click.argument("name")
@BASE_URL
def platform_add_tenant(name: str, base_url: str | None) -> None:
    """Create a tenant (institution) with its own signing key, before its LMS is registered:
    the LMS needs the tenant's key set URL to create the key whose client id you then add."""
    if db.session.scalar(select(Tenant.id).where(Tenant.name == name)) is not None:
        raise click.ClickException(f"A tenant named {name!r} exists already.")
    tenant = regs.create_tenant(Actor.cli(), name)
    db.session.commit()
    jwks = _urls(base_url, tenant.key_set_id).jwks
    click.echo(f"Created tenant {name!r}; its key set URL is {jwks}")


@click.command("show-config")
@with_appcontext
@click.option("--lms", type=click.Choice(["moodle", "canvas"]), default="moodle", show_default=True)
@click.option(
    "--tenant",
    "tenant_name",
    required=True,
    help="The institution the configuration is for (it names that tenant's own key set).",
)
@BASE_URL
def platform_show_config(lms: str, tenant_name: str, base_url: str | None) -> None:
    """Print the values for Moodle's tool form, or Canvas's developer-key JSON."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise click.ClickException(
            f"There is no tenant named {tenant_name!r}; create it with "
            f"'flask --app lti_tool platform add-tenant {tenant_name!r}'."
        )
    urls = _urls(base_url, tenant.key_set_id)
    if lms == "canvas":
        click.echo(json.dumps(kits.canvas_developer_key(urls), indent=2))
        return
    click.echo("Moodle: Site administration > Plugins > Activity modules > External tool >")
    click.echo("Manage tools > configure a tool manually. Enter:")
    for row in kits.moodle_values(urls):
        value = row.value.replace("\n", "\n    ") if row.value else "(leave empty)"
        click.echo(f"{row.field}: {value}")
        if row.note:
            click.echo(f"    ({row.note})")
