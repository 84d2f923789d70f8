"""The sandbox LMS (development and demos only): plays the platform so anyone can try the
tool without Canvas. A domain registered by ``create_app`` only when ``SANDBOX_ENABLED``
(``lti_tool.domains``); its tables exist everywhere."""

from __future__ import annotations

from flask import Flask

MODELS = ("lti_tool.sandbox.models",)


def register(app: Flask) -> None:
    """The sandbox's pages and API (one blueprint), the development mail outbox and
    ``flask sandbox seed``."""
    from ..cli import cli_group
    from . import (
        api,  # noqa: F401 - the API's routes, on the sandbox blueprint
        cli,
        outbox_views,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(outbox_views.bp)  # the development mail outbox, /s/dev/outbox
    app.cli.add_command(cli_group("sandbox", cli.seed_command))
