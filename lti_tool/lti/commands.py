"""``flask --app lti_tool lti service-hosts list|add|remove REGISTRATION_ID [HOST]``: the LMS
domains a registration's service URLs may use besides its own URLs' hosts; and ``lti
frame-origins list|add|remove --tenant NAME [ORIGIN]``: the LMS addresses allowed to frame the
tool's pages (``lti.frame_origins``). Both were first under ``flask platform``, which still
has them. ``lti roster-refresh --tenant NAME [--course ID]`` reads the kept course rosters
from the LMS again (``lti.rosters``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from ..actor import Actor
from ..cli import fail, tenant_named
from ..extensions import db
from ..models import Registration
from . import frame_origins, rosters, service_hosts

service_hosts_cli = AppGroup(
    "service-hosts", help="LMS domains a registration's NRPS and AGS calls may reach."
)


def _registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise click.ClickException(
            f"There is no registration {registration_id} ('flask registration list' shows them)."
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
        clean = service_hosts.add_service_host(Actor.cli(reg.tenant_id), reg, host)
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
    if not service_hosts.remove_service_host(Actor.cli(reg.tenant_id), reg, host):
        raise click.ClickException(f"{host} is not an added or learned host of {reg.name}.")
    db.session.commit()
    click.echo(f"{host} is no longer allowed for {reg.name}.")


frame_origins_cli = AppGroup(
    "frame-origins",
    help="Addresses of LMS pages allowed to show Career Credit inside them (frame-ancestors).",
)
_tenant_option = click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")


@frame_origins_cli.command("list")
@_tenant_option
def list_frame_origins(tenant_name: str) -> None:
    """Every origin that may frame the tenant's pages, and those seen but not allowed."""
    found = frame_origins.overview(tenant_named(tenant_name))
    for origin in found.configured:
        click.echo(f"{origin}\tconfigured")
    for entry in found.learned:
        click.echo(f"{entry.origin}\tlearned by {entry.where}: {entry.source} ({entry.at})")
    for entry in found.derived:
        click.echo(f"{entry.origin}\t{entry.source}")
    for entry in found.seen:
        click.echo(
            f"{entry.origin}\tSEEN, NOT ALLOWED: framed a launch of {entry.where} ({entry.at})"
        )


@frame_origins_cli.command("add")
@_tenant_option
@click.argument("origin")
def add_frame_origin(tenant_name: str, origin: str) -> None:
    """Allow an LMS address, e.g. https://canvas.school.edu."""
    tenant = tenant_named(tenant_name)
    try:
        clean, new = frame_origins.add(Actor.cli(tenant.id), origin)
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"{clean} may now frame Career Credit for {tenant.name}."
        if new
        else f"{clean} was already allowed for {tenant.name}."
    )


@frame_origins_cli.command("remove")
@_tenant_option
@click.argument("origin")
def remove_frame_origin(tenant_name: str, origin: str) -> None:
    """Forget a configured, learned or seen address."""
    tenant = tenant_named(tenant_name)
    if not frame_origins.remove(Actor.cli(tenant.id), origin):
        db.session.rollback()
        raise click.ClickException(
            f"{origin} is not a configured, learned or seen frame origin of {tenant.name} "
            "('flask lti frame-origins list --tenant NAME' shows them)."
        )
    db.session.commit()
    click.echo(f"{origin} no longer frames Career Credit for {tenant.name}.")


@click.command("roster-refresh")
@with_appcontext
@_tenant_option
@click.option(
    "--course",
    "course_id",
    type=int,
    default=None,
    help="The course's id (default: every course of the tenant with a kept roster).",
)
def roster_refresh(tenant_name: str, course_id: int | None) -> None:
    """Read the tenant's kept course rosters from the LMS again (pages read them in the
    background once they are older than ROSTER_MAX_AGE_S)."""
    tenant = tenant_named(tenant_name)
    counts = rosters.refresh_course(Actor.cli(tenant.id, "lti roster-refresh"), course_id)
    if not counts:
        which = f"course {course_id}" if course_id is not None else "any course"
        fail(f"No roster is kept for {which} of {tenant.name}: an instructor's page keeps one.")
    click.echo(", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())))
    if counts.get("failed"):
        raise SystemExit(1)


HELP = (
    "The LMS domains service calls may reach, the LMS pages that may frame the tool, and the "
    "course rosters kept from the LMS."
)
COMMANDS = (service_hosts_cli, frame_origins_cli, roster_refresh)
FIRST_NAMES = {"platform": COMMANDS}
