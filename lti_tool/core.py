"""The core domain: LTI launches and deep linking, role homes, installing the tool in an LMS,
the tool administrator's pages, the operator's commands, the AGS score sender and the messages
to people (``lti_tool.notify``: email and in-app notifications)."""

from __future__ import annotations

from flask import Flask

MODELS = (
    "lti_tool.models",
    "lti_tool.jobs.models",
    "lti_tool.admin.models",
    "lti_tool.registration.models",
    "lti_tool.notify.models",
)


def register(app: Flask) -> None:
    """Register the core's blueprints, commands, outbox senders (scores, email) and tenant set-up
    (the keys a tenant signs with) on ``app``."""
    from . import jobs, keys
    from .admin.views import bp as admin_bp
    from .cli import cli_group, register_cli
    from .home import bp as home_bp
    from .lti import ags
    from .lti.views import bp as lti_bp
    from .notify import mail
    from .registration.views import OLD_ADDRESSES as registration_moved_bp
    from .registration.views import bp as registration_bp
    from .tasks import commands as task_commands
    from .tenants import register_tenant_setup

    app.register_blueprint(lti_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(registration_moved_bp)  # /lti/register... -> /registration/...
    register_cli(app)  # platform, keys, maintenance, students, grades
    app.cli.add_command(cli_group("tasks", *task_commands.COMMANDS, help=task_commands.HELP))
    jobs.register_sender(ags.KIND_SCORE, ags.send_score)
    jobs.register_sender(mail.KIND, mail.deliver, needs_registration=False)
    register_tenant_setup(app, "keys", keys.set_up_tenant)
