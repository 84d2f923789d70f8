"""What every core command shares: the actor it records under and its one-line refusal."""

from __future__ import annotations

from typing import NoReturn

import click

from ..extensions import db

OPERATOR = "cli"


def fail(message: str) -> NoReturn:
    """Roll back what the command did and exit with ``message`` as one line."""
    db.session.rollback()
    raise click.ClickException(message)
