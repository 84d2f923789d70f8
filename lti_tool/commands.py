"""CLI commands. Scripts call these exact names; bad arguments give a one-line error and a
non-zero exit, and nothing is half-written (one commit per command)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from . import keys
from .errors import AppError
from .extensions import db
from .models import Registration
from .services import registrations as regs

platform_cli = AppGroup("platform", help="Platform registrations and deployments.")
maintenance_cli = AppGroup("maintenance", help="Housekeeping a scheduler runs.")
keys_cli = AppGroup("keys", help="The tool's signing keys.")
deployments_cli = AppGroup("deployments", help="Deployment ids of a registration.")
platform_cli.add_command(deployments_cli)

OPERATOR = "cli"


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


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
            _fail(f"Missing {', '.join(missing)} (or use --preset canvas|moodle).")
        reg = regs.add_platform(
            regs.PlatformSpec(
                name=name,
                client_id=client_id,
                deployment_ids=deployment_ids,
                strict_deployments=strict_deployments,
                tenant=tenant,
                **values,
            ),
            OPERATOR,
            allow_http=current_app.config["CAREER_CREDIT_ENV"] != "production",
        )
        db.session.commit()
    except AppError as exc:
        _fail(exc.message)
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
        regs.remove_platform(issuer, client_id, OPERATOR)
        db.session.commit()
    except AppError as exc:
        _fail(exc.message)
    click.echo(f"Removed {issuer} client id {client_id}.")


@deployments_cli.command("approve")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
def deployments_approve(issuer: str, client_id: str, deployment_id: str) -> None:
    """Let a deployment id launch."""
    try:
        reg = regs.find_registration(issuer, client_id)
        regs.approve_deployment(reg, deployment_id, OPERATOR)
        db.session.commit()
    except AppError as exc:
        _fail(exc.message)
    click.echo(f"Deployment {deployment_id} approved.")


@keys_cli.command("rotate")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Hours before the new key signs (default 24).",
)
def keys_rotate(grace_hours: float | None) -> None:
    """Publish a new key now; it starts signing after the grace period."""
    keys.ensure_key()
    grace = (
        dt.timedelta(seconds=current_app.config["LTI_KEY_GRACE_PERIOD_S"])
        if grace_hours is None
        else dt.timedelta(hours=grace_hours)
    )
    key = keys.rotate(OPERATOR, grace)
    db.session.commit()
    click.echo(f"Published key {key.kid}; it signs from {key.signing_from:%Y-%m-%d %H:%M} UTC.")


@keys_cli.command("retire")
@click.option("--kid", help="Retire this key (default: every key older than the signing one).")
def keys_retire(kid: str | None) -> None:
    """Remove keys nothing signs with any more from the published key set."""
    try:
        retired = keys.retire(OPERATOR, kid)
    except ValueError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Retired {', '.join(retired)}." if retired else "No key to retire.")


@keys_cli.command("list")
def keys_list() -> None:
    """Show the published keys."""
    keys.ensure_key()
    current = keys.signing_key().kid
    for key in keys.published_keys():
        mark = " (signing)" if key.kid == current else ""
        click.echo(f"{key.kid}\tsigns from {key.signing_from:%Y-%m-%d %H:%M}{mark}")


@maintenance_cli.command("purge")
def maintenance_purge() -> None:
    """Delete expired OIDC state records and launches (run at least daily)."""
    from .lti.storage import purge_expired
    from .models import Launch, utcnow

    states = purge_expired()
    launches = db.session.execute(delete(Launch).where(Launch.expires_at < utcnow())).rowcount
    db.session.commit()
    click.echo(f"Removed {states} expired login states and {launches} expired launches.")
