"""CLI commands. Scripts call these exact names; bad arguments give a one-line error and a
non-zero exit, and nothing is half-written (one commit per command)."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from . import keys
from .errors import AppError, PolicyViolationError
from .extensions import db
from .models import Registration, Tenant, User
from .registration.services import tenants as regs

platform_cli = AppGroup("platform", help="Platform registrations and deployments.")
maintenance_cli = AppGroup("maintenance", help="Housekeeping a scheduler runs.")
keys_cli = AppGroup("keys", help="The tool's signing keys and the encryption keys of secrets.")
deployments_cli = AppGroup("deployments", help="Deployment ids of a registration.")
students_cli = AppGroup(
    "students", help="A student's data rights: export, pseudonymise, erase (all audited)."
)
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
    from . import netguard
    from .admin.connections import CredentialsUpdate, last4, set_credentials

    if all(v is None for v in values.values()):
        _fail("Nothing to set: give at least one --canvas-… or --moodle-… option.")
    try:
        reg = regs.find_registration(issuer, client_id)
        creds = set_credentials(
            reg,
            CredentialsUpdate(**values),
            OPERATOR,
            allow_http=current_app.config["CAREER_CREDIT_ENV"] != "production",
            allow_private=netguard.allow_private_hosts(),
        )
        db.session.commit()
    except AppError as exc:
        _fail(exc.message)
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
        regs.approve_deployment(reg, deployment_id, OPERATOR)
        db.session.commit()
    except AppError as exc:
        _fail(exc.message)
    click.echo(f"Deployment {deployment_id} approved.")


TENANT_OPTION = click.option(
    "--tenant",
    "tenant_name",
    help="The tenant's own keys (default: the installation's legacy keys at /lti/jwks).",
)


def _tenant_id(name: str | None) -> int | None:
    if name is None:
        return None
    found = db.session.scalar(select(Tenant.id).where(Tenant.name == name))
    if found is None:
        _fail(f"There is no tenant named {name!r}.")
    return found


@keys_cli.command("rotate")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Hours before the new key signs (default 24).",
)
@TENANT_OPTION
def keys_rotate(grace_hours: float | None, tenant_name: str | None) -> None:
    """Publish a new key now; it starts signing after the grace period. With --tenant, a key
    of the tenant's own (for a tenant still on the legacy keys: its first one)."""
    tenant_id = _tenant_id(tenant_name)
    if tenant_id is None:
        keys.ensure_key()
    grace = (
        dt.timedelta(seconds=current_app.config["LTI_KEY_GRACE_PERIOD_S"])
        if grace_hours is None
        else dt.timedelta(hours=grace_hours)
    )
    key = keys.rotate(OPERATOR, grace, tenant_id)
    db.session.commit()
    where = f"tenant {tenant_name!r}'s key set" if tenant_name else "the legacy key set /lti/jwks"
    click.echo(
        f"Published key {key.kid} in {where}; it signs from {key.signing_from:%Y-%m-%d %H:%M} UTC."
    )


@keys_cli.command("retire")
@click.option("--kid", help="Retire this key (default: every key older than the signing one).")
@TENANT_OPTION
def keys_retire(kid: str | None, tenant_name: str | None) -> None:
    """Remove keys nothing signs with any more from the published key set."""
    tenant_id = _tenant_id(tenant_name)
    try:
        retired = keys.retire(OPERATOR, kid, tenant_id)
    except ValueError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Retired {', '.join(retired)}." if retired else "No key to retire.")


@keys_cli.command("new-encryption-key")
def keys_new_encryption_key() -> None:
    """Print a new Fernet key for CAREER_CREDIT_ENCRYPTION_KEYS (nothing is stored)."""
    from .crypto import generate_key

    click.echo(generate_key())


@keys_cli.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt every stored secret under the first key of CAREER_CREDIT_ENCRYPTION_KEYS."""
    from .crypto import DecryptionError, reencrypt_all

    try:
        counts = reencrypt_all()
    except DecryptionError as exc:
        _fail(f"{exc} Put the old key back in the list (after the new one) and run again.")
    db.session.commit()
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    click.echo(f"Re-encrypted {total} stored secrets under the first key ({detail or 'none'}).")


@keys_cli.command("list")
@TENANT_OPTION
def keys_list(tenant_name: str | None) -> None:
    """Show the published keys (the installation's, or the tenant's own)."""
    tenant_id = _tenant_id(tenant_name)
    if tenant_id is None:
        keys.ensure_key()
    current = keys.signing_key(tenant_id).kid
    db.session.commit()  # a tenant's first key, created on first use
    for key in keys.published_keys(tenant_id):
        mark = " (signing)" if key.kid == current else ""
        click.echo(f"{key.kid}\tsigns from {key.signing_from:%Y-%m-%d %H:%M}{mark}")
    if tenant_id is not None and current not in {k.kid for k in keys.published_keys(tenant_id)}:
        click.echo(f"{current}\tthe installation's legacy key (signs until one of its own does)")


@maintenance_cli.command("purge")
def maintenance_purge() -> None:
    """Apply the retention rules: expired login states and launches, uploaded files past their
    tenant's retention, old audit entries (the scheduler runs this hourly)."""
    from .privacy import retention

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
    from .models import Tenant
    from .privacy import retention

    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        _fail(f"There is no tenant named {tenant_name!r}.")
    if files_days is None and audit_days is None:
        policy = retention.policy_for(tenant)
    else:
        policy = retention.set_policy(tenant, files_days, audit_days, OPERATOR)
        db.session.commit()
    click.echo(
        f"{tenant_name}: uploaded files kept {policy.files_days} days after the engagement "
        f"ends; audit entries kept {policy.audit_days} days."
    )


def _person(tenant: str, user: str, issuer: str | None) -> User:
    from .privacy import subject

    try:
        return subject.find_person(tenant, user, issuer)
    except PolicyViolationError as exc:  # ambiguous: say how to name the LMS
        raise click.ClickException(f"{exc.message} {exc.hint}") from exc
    except AppError as exc:
        raise click.ClickException(exc.message) from exc


_tenant_option = click.option("--tenant", required=True, help="The tenant's name.")
_user_option = click.option("--user", required=True, help="The person's LMS user id (sub).")
_issuer_option = click.option(
    "--issuer", default=None, help="The LMS's issuer, when two LMSs send the same user id."
)


@students_cli.command("export")
@_tenant_option
@_user_option
@_issuer_option
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def students_export(tenant: str, user: str, issuer: str | None, out: str) -> None:
    """Write everything held about one person (JSON plus their files) to OUT.zip."""
    from pathlib import Path

    from .privacy import subject

    person = _person(tenant, user, issuer)
    data, counts = subject.export_zip(person, OPERATOR)
    target = Path(out)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: 600
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    db.session.commit()
    rows = sum(counts.values())
    click.echo(f"Exported {rows} records in {len(counts)} tables to {target} ({len(data)} bytes).")


def _confirm(action: str, yes: bool) -> None:
    if not yes and not click.confirm(f"{action} cannot be undone. Go on?", default=False):
        _fail("Nothing was changed.")


@students_cli.command("pseudonymise")
@_tenant_option
@_user_option
@_issuer_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def students_pseudonymise(tenant: str, user: str, issuer: str | None, yes: bool) -> None:
    """Replace name, email and LMS id with a pseudonym; delete free text and files."""
    from .privacy import subject

    person = _person(tenant, user, issuer)
    _confirm("Pseudonymising", yes)
    outcome = subject.pseudonymise(person, OPERATOR)
    db.session.commit()
    click.echo(
        f"Pseudonymised as {outcome.pseudonym}: {sum(outcome.rows_changed.values())} records "
        f"cleared, {sum(outcome.rows_deleted.values())} deleted, {outcome.files_deleted} files "
        f"deleted, {outcome.audit_entries_rewritten} audit entries now name the pseudonym."
    )


@students_cli.command("erase")
@_tenant_option
@_user_option
@_issuer_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def students_erase(tenant: str, user: str, issuer: str | None, yes: bool) -> None:
    """Delete the person, their records and files (the audit trail keeps their pseudonym)."""
    from .privacy import subject

    person = _person(tenant, user, issuer)
    _confirm("Erasing", yes)
    try:
        outcome = subject.erase(person, OPERATOR)
    except AppError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(
        f"Erased (pseudonym {outcome.pseudonym} in the audit trail): "
        f"{sum(outcome.rows_deleted.values())} records and {outcome.files_deleted} files "
        f"deleted, {outcome.audit_entries_rewritten} audit entries rewritten."
    )
