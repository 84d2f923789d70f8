"""The sandbox LMS (development and demos only): plays the platform so anyone can try the
tool without Canvas. A domain registered by ``create_app`` only when ``SANDBOX_ENABLED``
(``lti_tool.domains``); its tables exist everywhere."""

from __future__ import annotations

from flask import Flask

MODELS = ("lti_tool.sandbox.models",)


def register(app: Flask) -> None:
    """The sandbox's pages, API (Moodle's web services too) and development mail outbox (one
    blueprint) and ``flask sandbox seed`` and ``reset``."""
    from ..cli import cli_group
    from . import (
        api,  # noqa: F401 - the API's routes, on the sandbox blueprint
        cli,
        outbox,  # noqa: F401 - the development mail outbox, /sandbox/outbox, on the blueprint
        views,
    )

    app.register_blueprint(views.bp)
    app.cli.add_command(cli_group("sandbox", cli.seed_command, cli.reset_command))
