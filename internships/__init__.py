"""internships: the marketplace domain, in four areas, each a package with its blueprint, URL
prefix and template folder of the same name (docs/ARCHITECTURE.md):

- ``internships`` (``/internships``): listings and the course board, employer invitations,
  imports; CLI ``flask internships``;
- ``internships.work`` (``/work``): applications and engagements;
- ``internships.profile`` (``/profile``): student profiles and "For you"; CLI ``flask profile``;
- ``internships.supervisor`` (``/supervisor``): the supervisors' signed-link pages."""

from __future__ import annotations

from flask import Flask

MODELS = ("internships.models", "internships.work.models", "internships.profile.models")


def register(app: Flask) -> None:
    """The marketplace's blueprints, commands, home panels and hooks."""
    from lti_tool import tasks
    from lti_tool.cli import cli_group
    from lti_tool.home import register_home_panel
    from lti_tool.privacy.hooks import register_erasure_hook
    from lti_tool.privacy.retention import register_file_rule

    from . import commands, views
    from .profile import commands as profile_commands
    from .profile import views as profile_views
    from .services import jobs as import_jobs
    from .supervisor import erasure
    from .supervisor import views as supervisor_views
    from .views import imports, invitations, listings  # noqa: F401 - routes on views.bp
    from .work import views as work_views
    from .work.services import uploads
    from .work.views import accept, cpt, engagements  # noqa: F401 - routes on work_views.bp

    app.register_blueprint(views.bp)
    register_home_panel(app, "faculty", "internships/_faculty_panel.html", views.faculty_panel)
    register_home_panel(app, "advisor", "internships/_advisor_panel.html", views.advisor_panel)
    app.register_blueprint(work_views.bp)
    register_home_panel(app, "student", "work/_student_panel.html", work_views.student_panel)
    app.register_blueprint(profile_views.bp)
    app.register_blueprint(supervisor_views.bp)  # public pages, rate limited
    # Links emailed before the supervisor area had its name: /s/<page> -> /supervisor/<page>.
    app.add_url_rule(
        f"{supervisor_views.OLD_PREFIX}/<path:rest>",
        "supervisor.old_address",
        supervisor_views.old_address,
        methods=["GET", "POST"],
    )
    app.cli.add_command(
        cli_group(
            "internships",
            commands.import_command,
            commands.expire_command,
            commands.demo_command,
            commands.jobs_command,
        )
    )
    app.cli.add_command(cli_group("profile", profile_commands.import_command))
    register_erasure_hook("internships.supervisor_links")(erasure.revoke_supervisor_links)
    register_file_rule("internships.uploads")(uploads.purge_expired_files)
    tasks.register_task_kind(import_jobs.task_kind())  # listing and SIS imports
