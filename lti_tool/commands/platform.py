"""`flask platform`: platform registrations, their deployments and their REST credentials."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..actor import Actor
from ..errors import AppError
from ..extensions import db
from ..models import Registration
from ..registration.services import tenants as regs
from .common import fail

platform_cli = AppGroup("platform", help="Platform registrations and deployments.")
deployments_cli = AppGroup("deployments", help="Deployment ids of a registration.")
platform_cli.add_command(deployments_cli)


@platform_cli.command("add")
@click.option("--name", required=True, help="A name people recognise, e.g. 'State U Canvas'.")
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
def platform_add(
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


@platform_cli.command("list")
def platform_list() -> None:
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


@platform_cli.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def platform_remove(issuer: str, client_id: str) -> None:
    """Remove a registration (the tenant's data stays)."""
    try:
        regs.remove_platform(Actor.cli(), issuer, client_id)
        db.session.commit()
    except AppError as exc:
        fail(exc.message)
    click.echo(f"Removed {issuer} client id {client_id}.")


@platform_cli.command("set-api")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--canvas-url", help="Canvas's address for REST calls (empty string clears).")
@click.option("--canvas-oauth-client-id", help="The Canvas API developer key's client id.")
@click.option("--canvas-oauth-client-secret", help="The Canvas API developer key's secret.")
@click.option("--moodle-url", help="The Moodle site's address for web services.")
@click.option("--moodle-ws-token", help="A Moodle web-service token for Career Credit.")
def platform_set_api(issuer: str, client_id: str, **values: str | None) -> None:
    """Set a registration's connector credentials (stored encrypted; shown as last 4 only)."""
    from .. import netguard
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
