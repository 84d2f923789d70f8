"""``flask --app lti_tool keys rotate|retire|list|new-encryption-key|reencrypt``: the tool's
signing keys (the installation's or a tenant's) and the encryption key of stored secrets."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import keys
from ..actor import Actor
from ..cli import fail, tenant_named
from ..extensions import db

HELP = "The tool's signing keys and the encryption keys of secrets."


TENANT_OPTION = click.option(
    "--tenant",
    "tenant_name",
    help="The tenant's own keys (default: the installation's legacy keys at /lti/jwks).",
)


def _tenant_id(name: str | None) -> int | None:
    return None if name is None else tenant_named(name).id


@click.command("rotate")
@with_appcontext
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
    key = keys.rotate(Actor.cli(tenant_id), grace)
    db.session.commit()
    where = f"tenant {tenant_name!r}'s key set" if tenant_name else "the legacy key set /lti/jwks"
    click.echo(
        f"Published key {key.kid} in {where}; it signs from {key.signing_from:%Y-%m-%d %H:%M} UTC."
    )


@click.command("retire")
@with_appcontext
@click.option("--kid", help="Retire this key (default: every key older than the signing one).")
@TENANT_OPTION
def keys_retire(kid: str | None, tenant_name: str | None) -> None:
    """Remove keys nothing signs with any more from the published key set."""
    tenant_id = _tenant_id(tenant_name)
    try:
        retired = keys.retire(Actor.cli(tenant_id), kid)
    except ValueError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"Retired {', '.join(retired)}." if retired else "No key to retire.")


@click.command("new-encryption-key")
def keys_new_encryption_key() -> None:
    """Print a new Fernet key for CAREER_CREDIT_ENCRYPTION_KEYS (nothing is stored)."""
    from ..crypto import generate_key

    click.echo(generate_key())


@click.command("reencrypt")
@with_appcontext
def keys_reencrypt() -> None:
    """Re-encrypt every stored secret under the first key of CAREER_CREDIT_ENCRYPTION_KEYS."""
    from ..crypto import DecryptionError, reencrypt_all

    try:
        counts = reencrypt_all()
    except DecryptionError as exc:
        fail(f"{exc} Put the old key back in the list (after the new one) and run again.")
    db.session.commit()
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    click.echo(f"Re-encrypted {total} stored secrets under the first key ({detail or 'none'}).")


@click.command("list")
@with_appcontext
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


COMMANDS = (keys_rotate, keys_retire, keys_list, keys_new_encryption_key, keys_reencrypt)
