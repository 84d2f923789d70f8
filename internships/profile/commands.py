"""``flask --app lti_tool profile import``: the SIS import of program, class year and
expected graduation (the import's helpers are the internships area's, ``run_import``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..commands import run_import


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@click.option("--dry-run", is_flag=True, help="Check every row; save nothing.")
@click.option("--progress-every", default=0, help="Print progress every N rows (0: about 5 %).")
@with_appcontext
def import_command(path: Path, tenant_ref: str, dry_run: bool, progress_every: int) -> None:
    """Import program, class year and expected graduation of students from an SIS CSV
    (header: lms_user_id,email,program,class_year,expected_graduation; see docs/imports.md)."""
    run_import("profiles", path, tenant_ref, dry_run, progress_every, "profile import")
