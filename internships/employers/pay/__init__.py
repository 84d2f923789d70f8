"""internships.employers.pay (see internships/employers/__init__.py)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's blueprints, panels, hooks and senders."""
