"""``flask --app lti_tool credentials rotate-key|retire-key|keys``: the institution's credential
signing keys (its DID document)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from lti_tool.actor import Actor
from lti_tool.cli import cli_group, fail, tenant_named
from lti_tool.extensions import db

from . import identity

HELP = "Open Badges and CLR credentials: the institution's signing keys."
TENANT = click.option("--tenant", "tenant_name", required=True, help="The tenant (institution).")


@click.command("rotate-key")
@with_appcontext
@TENANT
def rotate_key_command(tenant_name: str) -> None:
    """Add a new credential signing key; it signs from now on, and the older keys stay in the
    DID document so what they signed still verifies."""
    tenant = tenant_named(tenant_name)
    key = identity.rotate_key(Actor.cli(tenant.id, "credentials rotate-key"))
    db.session.commit()
    click.echo(f"Added key {key.public_multibase} to {identity.issuer_did(tenant)}.")


@click.command("retire-key")
@with_appcontext
@TENANT
@click.option("--key", "public_multibase", required=True, help="The key's publicKeyMultibase.")
def retire_key_command(tenant_name: str, public_multibase: str) -> None:
    """Take a key out of the DID document (a compromised key): what it signed no longer
    verifies."""
    tenant = tenant_named(tenant_name)
    try:
        identity.retire_key(Actor.cli(tenant.id, "credentials retire-key"), public_multibase)
    except LookupError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"Retired key {public_multibase}.")


@click.command("keys")
@with_appcontext
@TENANT
def keys_command(tenant_name: str) -> None:
    """The tenant's published credential signing keys, oldest first (the last one signs)."""
    tenant = tenant_named(tenant_name)
    click.echo(identity.issuer_did(tenant))
    for key in identity.published_keys(tenant.id):
        click.echo(f"{key.public_multibase}  added {key.created_at:%Y-%m-%d %H:%M} UTC")


COMMANDS = (rotate_key_command, retire_key_command, keys_command)


def register_commands(app: Flask) -> None:
    """The ``flask credentials`` group (made here, or joined if another area made it)."""
    group = app.cli.commands.get("credentials")
    if isinstance(group, AppGroup):
        for command in COMMANDS:
            group.add_command(command)
        return
    app.cli.add_command(cli_group("credentials", *COMMANDS, help=HELP))
