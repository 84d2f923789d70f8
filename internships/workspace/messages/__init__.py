"""internships.workspace.messages (see internships/workspace/__init__.py)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's panels, blueprint routes, hooks and senders."""
