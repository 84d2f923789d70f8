"""What every core command shares: its one-line refusal (the actor it records under is
``Actor.cli(tenant_id)``, named "cli" in the audit trail)."""

from __future__ import annotations

from typing import NoReturn

import click

from ..extensions import db


def fail(message: str) -> NoReturn:
    """Roll back what the command did and exit with ``message`` as one line."""
    db.session.rollback()
    raise click.ClickException(message)
