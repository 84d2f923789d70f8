"""internships.employers.portal (see internships/employers/__init__.py): the employer contact's
signed, revocable link to their own page, the advisor's pages that keep an employer's contacts,
and the "offer" panel of the engagement workspace."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's routes, the advisor's home panel and the workspace's offer panel."""
    from internships.workspace.panels import register_panel
    from lti_tool.home import register_home_panel

    from . import offer_panel, views  # views: routes on the employers blueprint

    # views adds the routes to the employers blueprint, which internships.employers registers
    register_home_panel(app, "advisor", "employers/portal/_advisor_panel.html", views.advisor_panel)
    register_panel(
        app,
        offer_panel.NAME,
        "employers/portal/_offer.html",
        offer_panel.provide,
        offer_panel.handle,
        actions=("answer", "confirm", "decline"),
        order=80,
    )
