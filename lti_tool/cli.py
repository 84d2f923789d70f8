"""Command-line interface: ``flask --app lti_tool platform|keys ...``."""

from flask import Flask


def register_cli(app: Flask) -> None:
    from .commands import keys_cli, maintenance_cli, platform_cli, students_cli
    from .jobs_commands import grades_cli
    from .lti.commands import service_hosts_cli
    from .registration import commands as _registration_commands  # noqa: F401 - adds commands

    platform_cli.add_command(service_hosts_cli)
    app.cli.add_command(platform_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(maintenance_cli)
    app.cli.add_command(students_cli)
    app.cli.add_command(grades_cli)
