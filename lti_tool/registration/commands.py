"""``flask --app lti_tool registration …``: platform registrations (``add``, ``list``,
``remove``), their deployments (``deployments approve``) and REST credentials (``set-api``),
tenants (``add-tenant``), Dynamic Registration invitations (``invite``) and the install kits
(``show-config``). First named ``flask platform …``, which still has them."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .. import netguard
from ..actor import Actor
from ..cli import fail
from ..errors import AppError
from ..extensions import db
from ..models import Registration, Tenant
from . import kits, services
from .services import tenants as regs

HELP = "Platform registrations and deployments, tenants, invitations and install kits."
deployments_cli = AppGroup("deployments", help="Deployment ids of a registration.")


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
def registration_invite(
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
def registration_add_tenant(name: str, base_url: str | None) -> None:
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
def registration_show_config(lms: str, tenant_name: str, base_url: str | None) -> None:
    """Print the values for Moodle's tool form, or Canvas's developer-key JSON."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise click.ClickException(
            f"There is no tenant named {tenant_name!r}; create it with "
            f"'flask --app lti_tool registration add-tenant {tenant_name!r}'."
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


@click.command("add")
@with_appcontext
@click.option("--name", required=True, help="A name people recognize, e.g. 'State U Canvas'.")
@click.option("--issuer")
@click.option("--client-id", required=True)
@click.option("--auth-login-url")
@click.option("--auth-token-url")
@click.option("--key-set-url")
@click.option("--deployment-id", "deployment_ids", multiple=True)
@click.option(
    "--strict-deployments",
    is_flag=True,
    help="Refuse deployment ids until an administrator approves them.",
)
@click.option("--tenant", help="Attach to this existing tenant instead of creating one.")
@click.option("--preset", type=click.Choice(["canvas", "moodle"]))
@click.option("--moodle-url")
def registration_add(
    name: str,
    issuer: str | None,
    client_id: str,
    auth_login_url: str | None,
    auth_token_url: str | None,
    key_set_url: str | None,
    deployment_ids: tuple[str, ...],
    strict_deployments: bool,
    tenant: str | None,
    preset: str | None,
    moodle_url: str | None,
) -> None:
    """Register a platform (issuer + client id)."""
    try:
        values = regs.apply_preset(
            preset,
            moodle_url,
            issuer=issuer,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            key_set_url=key_set_url,
        )
        missing = [
            opt
            for opt, key in (
                ("--issuer", "issuer"),
                ("--auth-login-url", "auth_login_url"),
                ("--auth-token-url", "auth_token_url"),
                ("--key-set-url", "key_set_url"),
            )
            if not values.get(key)
        ]
        if missing:
            fail(f"Missing {', '.join(missing)} (or use --preset canvas|moodle).")
        reg = regs.add_platform(
            Actor.cli(),
            regs.PlatformSpec(
                name=name,
                client_id=client_id,
                deployment_ids=deployment_ids,
                strict_deployments=strict_deployments,
                tenant=tenant,
                **values,
            ),
            allow_http=current_app.config["CAREER_CREDIT_ENV"] != "production",
        )
        db.session.commit()
    except AppError as exc:
        fail(exc.message)
    click.echo(f"Registered {reg.issuer} client id {reg.client_id} for tenant {reg.tenant.name!r}.")


@click.command("list")
@with_appcontext
def registration_list() -> None:
    """List registrations with their deployments."""
    rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    if not rows:
        click.echo("No platforms registered.")
    for reg in rows:
        click.echo(
            f"{reg.tenant.name}\t{reg.name}\t{reg.issuer}\t{reg.client_id}\t"
            f"{'strict' if reg.strict_deployments else 'open'}"
        )
        for dep in reg.deployments:
            click.echo(f"\tdeployment {dep.deployment_id}\t{dep.status}")


@click.command("remove")
@with_appcontext
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def registration_remove(issuer: str, client_id: str) -> None:
    """Remove a registration (the tenant's data stays)."""
    try:
        regs.remove_platform(Actor.cli(), issuer, client_id)
        db.session.commit()
    except AppError as exc:
        fail(exc.message)
    click.echo(f"Removed {issuer} client id {client_id}.")


@click.command("set-api")
@with_appcontext
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--canvas-url", help="Canvas's address for REST calls (empty string clears).")
@click.option("--canvas-oauth-client-id", help="The Canvas API developer key's client id.")
@click.option("--canvas-oauth-client-secret", help="The Canvas API developer key's secret.")
@click.option("--moodle-url", help="The Moodle site's address for web services.")
@click.option("--moodle-ws-token", help="A Moodle web-service token for Career Credit.")
def registration_set_api(issuer: str, client_id: str, **values: str | None) -> None:
    """Set a registration's connector credentials (stored encrypted; shown as last 4 only)."""
    from ..admin.services.connections import CredentialsUpdate, last4, set_credentials

    if all(v is None for v in values.values()):
        fail("Nothing to set: give at least one --canvas-… or --moodle-… option.")
    try:
        reg = regs.find_registration(issuer, client_id)
        creds = set_credentials(
            Actor.cli(reg.tenant_id),
            reg,
            CredentialsUpdate(**values),
            allow_http=current_app.config["CAREER_CREDIT_ENV"] != "production",
            allow_private=netguard.allow_private_hosts(),
        )
        db.session.commit()
    except AppError as exc:
        fail(exc.message)
    click.echo(
        f"Connector credentials of {issuer} client id {client_id}: "
        f"Canvas {creds.canvas_url or '-'} key {creds.canvas_oauth_client_id or '-'} "
        f"secret {last4(creds.canvas_oauth_client_secret) or '-'}; "
        f"Moodle {creds.moodle_url or '-'} token {last4(creds.moodle_ws_token) or '-'}."
    )


@deployments_cli.command("approve")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
def deployments_approve(issuer: str, client_id: str, deployment_id: str) -> None:
    """Let a deployment id launch."""
    try:
        reg = regs.find_registration(issuer, client_id)
        regs.approve_deployment(Actor.cli(reg.tenant_id), reg, deployment_id)
        db.session.commit()
    except AppError as exc:
        fail(exc.message)
    click.echo(f"Deployment {deployment_id} approved.")


COMMANDS = (
    registration_add,
    registration_list,
    registration_remove,
    registration_set_api,
    deployments_cli,
    registration_invite,
    registration_add_tenant,
    registration_show_config,
)
FIRST_NAMES = {"platform": COMMANDS}
