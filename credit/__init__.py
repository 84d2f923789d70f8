"""credit: the credit domain — course credit policies, awards and second approvals, grade
columns and their sync to the LMS, student progress (see DESIGN.md)."""

from __future__ import annotations

from flask import Flask

MODELS = ("credit.models",)


def register(app: Flask) -> None:
    """The credit blueprint, ``flask credit`` and the credit home panels."""
    from internships.workspace.plan.services.calendar import register_calendar_source
    from lti_tool.cli import cli_group
    from lti_tool.home import register_home_panel

    from . import commands, views
    from .services import policy
    from .views import column, course, review, student  # noqa: F401 - routes on views.bp

    app.register_blueprint(views.bp)
    register_home_panel(app, "student", "credit/_student_panel.html", views.student_panel)
    register_home_panel(app, "faculty", "credit/_faculty_panel.html", views.faculty_panel)
    register_home_panel(app, "advisor", "credit/_advisor_panel.html", views.advisor_panel)
    # the credit deadlines in each student's calendar feed (the workspace plan's)
    register_calendar_source(app, "credit", policy.student_deadlines)
    app.cli.add_command(cli_group("credit", commands.demo_command, commands.find_misposted_command))
