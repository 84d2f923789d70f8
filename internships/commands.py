"""``flask --app lti_tool internships …``: import listings from a file (with progress), expire
passed deadlines, run queued import jobs, load the demo. The helpers of a command-line import
(``run_import``) serve ``flask profile import`` too (``internships.profile.commands``)."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.limits import INT_MAX
from lti_tool.models import Tenant

from .services import jobs as job_svc
from .services.imports import MAX_IMPORT_BYTES, TOO_LARGE, ImportFormatError, ImportReport
from .services.listings import expire_listings


def find_tenant(name_or_id: str) -> Tenant:
    """The tenant an operator named (``--tenant``: its exact name or its id)."""
    digits = name_or_id.isascii() and name_or_id.isdigit() and len(name_or_id) <= 10
    is_id = digits and int(name_or_id) <= INT_MAX
    stmt = select(Tenant).where(
        Tenant.id == int(name_or_id) if is_id else Tenant.name == name_or_id
    )
    tenant = db.session.scalar(stmt)
    if tenant is None:
        raise click.ClickException(
            f"--tenant: no tenant {name_or_id!r}; give a tenant's exact name or its id "
            "(flask --app lti_tool registration list shows them)."
        )
    return tenant


def read_import_file(path: Path) -> bytes:
    """The bytes of an import file, refused before reading when over the size limit."""
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportFormatError(TOO_LARGE, hint="Split the file and import each part.")
    return path.read_bytes()


def progress_printer(total: int, every: int = 0) -> Callable[[int], None]:
    """A callback that prints ``done/total rows (pct%)`` every ``every`` rows (0: about every
    5 %, at most every 100 rows) and at the end — readable in a terminal and in a log."""
    step = every if every > 0 else max(1, min(100, math.ceil(total / 20)))

    def show(done: int) -> None:
        if done == total or done % step == 0:
            click.echo(f"  {done}/{total} rows ({100 * done // max(total, 1)}%)", err=True)

    return show


def _report(report: ImportReport, dry_run: bool) -> None:
    """One line per row (with the key it used), then one indented line per problem or note."""
    for result in report.results:
        key = f" (key: {result.key_source})" if result.key_source else ""
        click.echo(f"row {result.row}: {result.outcome} {result.external_id!r}{key}")
        for line in [*result.problems, *result.notes]:
            click.echo(f"  - {line}")
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing saved: {report.summary}.")
    else:
        db.session.commit()
        click.echo(f"{report.summary}.")


def run_import(
    kind: str, path: Path, tenant_ref: str, dry_run: bool, progress_every: int, command: str
) -> None:
    """Import the file at ``path`` as ``kind`` (listings, profiles) into the tenant an operator
    named, printing progress, then one line per row; ``dry_run`` saves nothing."""
    records = job_svc.parse(kind, read_import_file(path), path.name)  # a bad file: no query
    tenant = find_tenant(tenant_ref)
    noun = "rows" if kind == "profiles" else "records"
    click.echo(f"Importing {len(records)} {noun} from {path.name} into {tenant.name!r}", err=True)
    report = job_svc.import_records(
        Actor.cli(tenant.id, command),
        kind,
        records,
        progress=progress_printer(len(records), progress_every),
    )
    _report(report, dry_run)


def file_import_command(kind: str, group: str, help_text: str) -> click.Command:
    """``flask <group> import PATH --tenant T [--dry-run] [--progress-every N]`` for an import
    of ``kind`` (listings; profiles, the profile area's)."""
    unit = "row" if kind == "profiles" else "record"

    @click.command("import", help=help_text)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
    @click.option("--dry-run", is_flag=True, help=f"Check every {unit}; save nothing.")
    @click.option("--progress-every", default=0, help="Print progress every N rows (0: about 5 %).")
    @with_appcontext
    def command(path: Path, tenant_ref: str, dry_run: bool, progress_every: int) -> None:
        run_import(kind, path, tenant_ref, dry_run, progress_every, f"{group} import")

    return command


import_command = file_import_command(
    "listings",
    "internships",
    "Import listings from schema.org JobPosting JSON-LD or CSV (see docs/imports.md).",
)


@click.command("jobs")
@with_appcontext
def jobs_command() -> None:
    """Run the import jobs advisors queued (needed only with JOB_RUNNER=off)."""
    from .services.jobs import describe, run_queued

    for job in run_queued():  # the same as ``flask tasks run imports``
        click.echo(describe(job))


@click.command("expire")
@with_appcontext
def expire_command() -> None:
    """Mark open listings whose application deadline has passed (in each tenant's time zone)
    expired."""
    total = 0
    for tenant in db.session.scalars(select(Tenant)):
        try:
            tz: dt.tzinfo = zoneinfo.ZoneInfo(tenant.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = dt.UTC
        total += expire_listings(
            Actor.cli(tenant.id, "internships expire"), dt.datetime.now(tz).date()
        )
    db.session.commit()
    click.echo(f"{total} listings expired.")


@click.command("demo")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@with_appcontext
def demo_command(tenant_ref: str) -> None:
    """Load the demo employers, listings, sandbox people, applications and engagements into a
    tenant (idempotent; for `make run`)."""
    from .demo import seed_listings, seed_work

    tenant = find_tenant(tenant_ref)
    seed_listings(tenant.id)
    work = seed_work(tenant.id)
    db.session.commit()
    click.echo(f"Demo listings are in {tenant.name!r} ({work} new demo applications).")
