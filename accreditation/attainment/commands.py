"""``flask --app lti_tool attainment exports``: build the queued accreditation exports from the
command line (the same as ``flask tasks run exports``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import exports


@click.command("exports")
@with_appcontext
def run_exports_command() -> None:
    """Build the accreditation exports that are queued (or whose runner died)."""
    done = exports.run_queued()  # the same as ``flask tasks run exports``
    click.echo(f"Built {len(done)} export(s).")
