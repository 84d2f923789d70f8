"""``flask --app lti_tool sandbox seed``: create the sandbox's key, courses, people and its
registration in the tool for the configured URLs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .seed import ensure_sandbox


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Seed the sandbox LMS (idempotent) for SANDBOX_TOOL_URL and SANDBOX_PLATFORM_URL."""
    info = ensure_sandbox(
        current_app.config["SANDBOX_TOOL_URL"], current_app.config["SANDBOX_PLATFORM_URL"]
    )
    click.echo(
        f"Sandbox LMS ready: issuer {info.issuer}, client id {info.client_id}, "
        f"deployment {info.deployment_id}."
    )
    click.echo(f"Open {info.platform_url}/sandbox to launch the tool at {info.tool_url}.")
