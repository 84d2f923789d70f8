"""internships.workspace.plan (see internships/workspace/__init__.py): the onboarding
checklist, the learning agreement's milestones and the student's calendar feed."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The checklist and milestones panels, the plan's pages on the workspace blueprint, the
    student's and advisor's home panels."""
    from lti_tool.home import register_home_panel

    from .. import panels
    from . import home, panel, views  # noqa: F401 - views adds routes to the workspace blueprint

    panels.register_panel(
        app,
        "checklist",
        "workspace/plan/_checklist_panel.html",
        panel.provide_checklist,
        panel.handle_checklist,
        actions=("tick",),
        order=20,
    )
    panels.register_panel(
        app,
        "milestones",
        "workspace/plan/_milestones_panel.html",
        panel.provide_milestones,
        panel.handle_milestones,
        actions=("propose", "remove", "answer", "attach"),
        order=30,
    )
    register_home_panel(app, "student", "workspace/plan/_student_home_panel.html", home.student)
    register_home_panel(app, "advisor", "workspace/plan/_advisor_home_panel.html", home.advisor)
