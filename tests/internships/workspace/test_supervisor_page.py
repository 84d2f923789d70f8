"""The supervisor's workspace page: a "workspace" link opens it again and again (no submission
spends it), an advisor emails it from the engagement page, and it stops with the engagement."""

from __future__ import annotations

from sqlalchemy import select

from internships.work.models import Engagement
from lti_tool.extensions import db
from tests.helpers import csrf_token
from tests.internships.work.helpers import engaged, public_client
from tests.internships.workspace.helpers import workspace_link


def _email_workspace_link(world, engagement_id: int) -> None:
    advisor = world["advisor"]
    url = f"/work/engagements/{engagement_id}"
    page = advisor.client.get(f"{url}?lid={advisor.lid}")
    assert "Open the project workspace" in page.get_data(as_text=True)
    resp = advisor.client.post(
        f"{url}?lid={advisor.lid}",
        data={"form": "supervisor_link", "purpose": "workspace", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]


def test_the_workspace_link_opens_the_page_again_and_again(app, world):
    engagement_id = engaged(app, world)
    _email_workspace_link(world, engagement_id)
    with app.app_context():
        to = db.session.scalar(
            select(Engagement.supervisor_email).where(Engagement.id == engagement_id)
        )
    path = workspace_link(app, to)
    browser = public_client(app)
    for _ in range(2):
        resp = browser.get(path)
        assert resp.status_code == 200
        assert "Project workspace with" in resp.get_data(as_text=True)


def test_the_workspace_link_closes_with_the_engagement(app, world):
    engagement_id = engaged(app, world)
    _email_workspace_link(world, engagement_id)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        to = engagement.supervisor_email
        engagement.status = "cancelled"
        db.session.commit()
    resp = public_client(app).get(workspace_link(app, to))
    assert resp.status_code == 410 and 'data-reason="closed"' in resp.get_data(as_text=True)


def test_a_tampered_workspace_link_is_not_found(app, world):
    resp = public_client(app).get("/workspace/not-a-token")
    assert resp.status_code == 404 and 'data-reason="invalid"' in resp.get_data(as_text=True)
