"""accreditation.credentials.pages (see accreditation/credentials/__init__.py): "My
credentials", one credential (download, share, LinkedIn, evidence, DID, the CLR), the public
verification page and "verify a credential file" form, the portfolio (editor and public page),
the supervisor's consent to a recommendation (a workspace panel), and what the homes and the
credit review page show of credentials."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's routes (on the credentials blueprint), home panels, workspace panel and the
    review page's template globals."""
    from internships.workspace.panels import register_panel
    from lti_tool.home import register_home_panel

    from . import homes, public, recommendation, views  # noqa: F401 - routes on the blueprint

    register_home_panel(app, "student", "credentials/_student_panel.html", homes.student_panel)
    register_home_panel(app, "advisor", "credentials/_advisor_panel.html", homes.advisor_panel)
    register_panel(
        app,
        recommendation.PANEL,
        "credentials/_recommendation_panel.html",
        recommendation.provide,
        recommendation.handle,
        actions=("consent",),
        order=90,
        roles=("supervisor", "student"),
    )
    app.add_template_global(homes.review_credentials, "review_credentials")
