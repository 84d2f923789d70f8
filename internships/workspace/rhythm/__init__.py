"""internships.workspace.rhythm (see internships/workspace/__init__.py): weekly check-ins
(``checkins``, the ``rhythm`` panel), reminder emails on the job runner's tick
(``reminders``, thresholds in ``settings``), the at-risk reasons the advisor's reports add
(``risk``, from ``activity``), and the student's workload this week (``workload``)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's panels, blueprint routes, hooks and senders."""
    from lti_tool.home import register_home_panel
    from lti_tool.jobs.runner import register_tick

    from .. import panels
    from . import panel, reminders, views

    panels.register_panel(
        app,
        panel.NAME,
        "workspace/rhythm/_panel.html",
        panel.provide,
        panel.handle,
        actions=("checkin", "review"),
        order=30,
    )
    register_home_panel(app, "student", "workspace/rhythm/_workload.html", views.workload_panel)
    register_home_panel(app, "advisor", "workspace/rhythm/_advisor_panel.html", views.advisor_panel)
    register_tick("workspace.reminders", reminders.run_scheduled)
