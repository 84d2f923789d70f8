"""internships: the marketplace domain — listings and the course board, applications and
engagements (with the supervisors' signed-link pages), student profiles (see DESIGN.md)."""

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
    from . import invitation_views as _invitation_pages  # noqa: F401 - routes on views.bp
    from . import listing_views as _listing_pages  # noqa: F401 - routes on views.bp
    from .profile import views as profile_views
    from .services import jobs as import_jobs
    from .work import cpt_views as _cpt_pages  # noqa: F401 - routes on work_views.bp
    from .work import engagement_views as _engagement_pages  # noqa: F401 - routes on work_views.bp
    from .work import erasure, supervisor_views
    from .work import views as work_views
    from .work.services import uploads

    app.register_blueprint(views.bp)
    register_home_panel(app, "faculty", "internships/_faculty_panel.html", views._faculty_panel)
    register_home_panel(app, "advisor", "internships/_advisor_panel.html", views._advisor_panel)
    app.register_blueprint(work_views.bp)
    register_home_panel(
        app, "student", "internships/work/_student_panel.html", work_views._student_panel
    )
    app.register_blueprint(profile_views.bp)
    app.register_blueprint(supervisor_views.bp)  # public pages, rate limited
    app.cli.add_command(
        cli_group(
            "listings",
            commands.import_command,
            commands.expire_command,
            commands.demo_command,
            commands.jobs_command,
        )
    )
    app.cli.add_command(cli_group("profiles", commands.profiles_import_command))
    register_erasure_hook("internships.supervisor_links")(erasure.revoke_supervisor_links)
    register_file_rule("internships.uploads")(uploads.purge_expired_files)
    tasks.register_task_kind(import_jobs.task_kind())  # listing and SIS imports
