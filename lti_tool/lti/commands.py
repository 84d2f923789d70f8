"""``flask --app lti_tool platform service-hosts list|add|remove REGISTRATION_ID [HOST]``: the
LMS domains a registration's service URLs may use besides its own URLs' hosts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Registration
from . import service_hosts

service_hosts_cli = AppGroup(
    "service-hosts", help="LMS domains a registration's NRPS and AGS calls may reach."
)
OPERATOR = "cli"


def _registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise click.ClickException(
            f"There is no registration {registration_id} ('platform list' shows them)."
        )
    return reg


@service_hosts_cli.command("list")
@click.argument("registration_id", type=int)
def list_hosts(registration_id: int) -> None:
    """Every host the registration's service calls may reach."""
    reg = _registration(registration_id)
    own = service_hosts.known_hosts(reg) - set(reg.service_hosts or [])
    for host in sorted(own):
        click.echo(f"{host}\t(the registration's own URLs)")
    for host in reg.service_hosts or []:
        click.echo(f"{host}\t(added or learned)")


@service_hosts_cli.command("add")
@click.argument("registration_id", type=int)
@click.argument("host")
def add_host(registration_id: int, host: str) -> None:
    """Allow an LMS domain (host or host:port), e.g. canvas.school.edu."""
    reg = _registration(registration_id)
    try:
        clean = service_hosts.add_service_host(reg, host, OPERATOR)
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{clean} is allowed for {reg.name}.")


@service_hosts_cli.command("remove")
@click.argument("registration_id", type=int)
@click.argument("host")
def remove_host(registration_id: int, host: str) -> None:
    """Forget an added or learned LMS domain."""
    reg = _registration(registration_id)
    if not service_hosts.remove_service_host(reg, host, OPERATOR):
        raise click.ClickException(f"{host} is not an added or learned host of {reg.name}.")
    db.session.commit()
    click.echo(f"{host} is no longer allowed for {reg.name}.")
