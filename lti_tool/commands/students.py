"""`flask students`: a student's data rights: export, pseudonymise, erase (all audited)."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from ..actor import Actor
from ..errors import AppError, PolicyViolationError
from ..extensions import db
from ..models import User
from .common import fail

students_cli = AppGroup(
    "students", help="A student's data rights: export, pseudonymise, erase (all audited)."
)


def _person(tenant: str, user: str, issuer: str | None) -> User:
    from ..privacy import subject

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

    from ..privacy import subject

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


@students_cli.command("pseudonymise")
@_tenant_option
@_user_option
@_issuer_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def students_pseudonymise(tenant: str, user: str, issuer: str | None, yes: bool) -> None:
    """Replace name, email and LMS id with a pseudonym; delete free text and files."""
    from ..privacy import subject

    person = _person(tenant, user, issuer)
    _confirm("Pseudonymising", yes)
    outcome = subject.pseudonymise(Actor.cli(person.tenant_id), person)
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
    from ..privacy import subject

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
