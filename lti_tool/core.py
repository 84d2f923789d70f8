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
    "lti_tool.lti.roster_models",
)


def register(app: Flask) -> None:
    """Register the core's blueprints, commands, outbox senders (scores, email) and tenant set-up
    (the keys a tenant signs with) on ``app``."""
    from . import jobs, keys
    from .admin.views import bp as admin_bp
    from .cli import register_cli
    from .home import bp as home_bp
    from .home import role_context
    from .jobs import commands as jobs_commands
    from .keys import commands as keys_commands
    from .lti import ags, rosters
    from .lti import commands as lti_commands
    from .lti.views import bp as lti_bp
    from .notify import mail
    from .privacy import commands as privacy_commands
    from .privacy.hooks import register_erasure_hook
    from .registration import commands as registration_commands
    from .registration.views import OLD_ADDRESSES as registration_moved_bp
    from .registration.views import bp as registration_bp
    from .tasks import commands as task_commands
    from .tenants import register_tenant_setup

    app.register_blueprint(lti_bp)
    app.register_blueprint(home_bp)
    app.context_processor(role_context)  # role_label on every page
    app.register_blueprint(admin_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(registration_moved_bp)  # /lti/register... -> /registration/...
    register_cli(
        app,
        {
            "registration": registration_commands,
            "lti": lti_commands,
            "keys": keys_commands,
            "privacy": privacy_commands,
            "jobs": jobs_commands,
            "tasks": task_commands,
        },
    )  # and the first names: platform, students, maintenance, grades
    jobs.register_sender(ags.KIND_SCORE, ags.send_score)
    jobs.register_sender(mail.KIND, mail.deliver, needs_registration=False)
    register_tenant_setup(app, "keys", keys.set_up_tenant)
    register_erasure_hook("lti.rosters")(rosters.forget_person)  # their kept roster entries
