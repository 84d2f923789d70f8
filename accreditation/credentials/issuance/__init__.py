"""accreditation.credentials.issuance (see accreditation/credentials/__init__.py)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's blueprints, hooks, task kinds and commands."""
