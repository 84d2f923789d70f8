"""``flask --app lti_tool privacy …``: a person's data rights (``export``, ``pseudonymise``,
``erase``, all audited; first named ``students …``) and the retention rules (``purge``, which a
scheduler runs hourly, and a tenant's ``retention`` periods; first named ``maintenance …``)."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from ..actor import Actor
from ..cli import fail, tenant_named
from ..errors import AppError, PolicyViolationError
from ..extensions import db
from ..models import User
from . import retention, subject

HELP = "Data rights (export, pseudonymise, erase) and retention (purge, retention periods)."


def _person(tenant: str, user: str, issuer: str | None) -> User:
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


@click.command("export")
@with_appcontext
@_tenant_option
@_user_option
@_issuer_option
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def privacy_export(tenant: str, user: str, issuer: str | None, out: str) -> None:
    """Write everything held about one person (JSON plus their files) to OUT.zip."""
    from pathlib import Path

    person = _person(tenant, user, issuer)
    data, counts = subject.export_zip(Actor.cli(person.tenant_id), person)
    target = Path(out)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: 600
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    db.session.commit()
    rows = sum(counts.values())
    click.echo(f"Exported {rows} records in {len(counts)} tables to {target} ({len(data)} bytes).")


def _confirm(action: str, yes: bool) -> None:
    if not yes and not click.confirm(f"{action} cannot be undone. Go on?", default=False):
        fail("Nothing was changed.")


@click.command("pseudonymise")
@with_appcontext
@_tenant_option
@_user_option
@_issuer_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_pseudonymise(tenant: str, user: str, issuer: str | None, yes: bool) -> None:
    """Replace name, email and LMS id with a pseudonym; delete free text and files."""
    person = _person(tenant, user, issuer)
    _confirm("Pseudonymizing", yes)
    outcome = subject.pseudonymise(Actor.cli(person.tenant_id), person)
    db.session.commit()
    click.echo(
        f"Pseudonymized as {outcome.pseudonym}: {sum(outcome.rows_changed.values())} records "
        f"cleared, {sum(outcome.rows_deleted.values())} deleted, {outcome.files_deleted} files "
        f"deleted, {outcome.audit_entries_rewritten} audit entries now name the pseudonym."
    )


@click.command("erase")
@with_appcontext
@_tenant_option
@_user_option
@_issuer_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(tenant: str, user: str, issuer: str | None, yes: bool) -> None:
    """Delete the person, their records and files (the audit trail keeps their pseudonym)."""
    person = _person(tenant, user, issuer)
    _confirm("Erasing", yes)
    try:
        outcome = subject.erase(Actor.cli(person.tenant_id), person)
    except AppError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(
        f"Erased (pseudonym {outcome.pseudonym} in the audit trail): "
        f"{sum(outcome.rows_deleted.values())} records and {outcome.files_deleted} files "
        f"deleted, {outcome.audit_entries_rewritten} audit entries rewritten."
    )


@click.command("purge")
@with_appcontext
def privacy_purge() -> None:
    """Apply the retention rules: expired login states and launches, uploaded files past their
    tenant's retention, old audit entries (the scheduler runs this hourly)."""
    counts = retention.purge()
    db.session.commit()
    click.echo(
        f"Removed {counts.get('login_states', 0)} expired login states and "
        f"{counts.get('launches', 0)} expired launches; "
        f"{counts.get('resume_files', 0)} résumé files, "
        f"{counts.get('deliverable_files', 0)} deliverable files and "
        f"{counts.get('audit_entries', 0)} audit entries past their retention."
    )


@click.command("retention")
@with_appcontext
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
@click.option("--files-days", type=click.IntRange(min=1), help="Keep uploaded files this long.")
@click.option("--audit-days", type=click.IntRange(min=1), help="Keep audit entries this long.")
def privacy_retention(tenant_name: str, files_days: int | None, audit_days: int | None) -> None:
    """Show or set a tenant's retention periods (days after an engagement ends for files)."""
    tenant = tenant_named(tenant_name)
    if files_days is None and audit_days is None:
        policy = retention.policy_for(tenant)
    else:
        policy = retention.set_policy(Actor.cli(tenant.id), files_days, audit_days)
        db.session.commit()
    click.echo(
        f"{tenant_name}: uploaded files kept {policy.files_days} days after the engagement "
        f"ends; audit entries kept {policy.audit_days} days."
    )


COMMANDS = (privacy_export, privacy_pseudonymise, privacy_erase, privacy_purge, privacy_retention)
FIRST_NAMES = {
    "students": (privacy_export, privacy_pseudonymise, privacy_erase),
    "maintenance": (privacy_purge, privacy_retention),
}
