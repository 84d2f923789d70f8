"""internships.employers.pay (see internships/employers/__init__.py): pay terms and payment
records of paid engagements, overdue payments and disputes.

- the workspace's "pay" panel (``panel``): the supervisor marks payments from their workspace
  link, the student confirms or disputes, faculty and advisors see it, an advisor resolves
  disputes and sets when payment is due;
- the advisor's pages on the employers blueprint (``views``): overdue payments and disputes,
  the pay report (paid vs unpaid share, below the pay floor, CSV), the grace days; a home panel;
- the runner's tick (``services.overdue.sweep``) notices overdue payments once each;
- the publishing block: ``services.overdue.refuse_if_blocked``, called where listings are
  published (``internships.services.listings``, ``invitations``);
- export and erasure find every row by its ``student_id``."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's routes (on the employers blueprint), panels, home panel and tick hook."""
    from internships.workspace.panels import register_panel
    from lti_tool.home import register_home_panel
    from lti_tool.jobs.runner import register_tick

    from . import panel, views
    from .services.overdue import sweep

    register_panel(
        app,
        "pay",
        "employers/pay/_panel.html",
        panel.provide,
        panel.handle,
        actions=tuple(panel.ACTIONS),
        order=60,
    )
    register_home_panel(app, "advisor", "employers/pay/_home_panel.html", views.advisor_panel)
    register_tick("employers.pay.overdue", sweep)
