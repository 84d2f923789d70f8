"""Advisor reports: progress across courses, students at risk, employer outcomes, progress
reports (page, PDF, CSV)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The reports blueprint with every page on it, the home panels and the erasure hook."""
    from lti_tool.home import register_home_panel
    from lti_tool.privacy.hooks import register_erasure_hook

    from . import employer_figures_views, home_snapshots, home_views  # pages on views.bp
    from . import views as report_views

    del employer_figures_views  # imported for its routes
    app.register_blueprint(report_views.bp)
    register_home_panel(app, "student", "reports/_student_panel.html", report_views.student_panel)
    register_home_panel(app, "advisor", "reports/_advisor_panel.html", home_views.advisor_panel)
    # the advisor home's kept at-risk lists name students
    register_erasure_hook("reports.home_figures")(home_snapshots.forget_people)
