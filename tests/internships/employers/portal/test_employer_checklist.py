"""The employer adapts a listing's onboarding checklist from their own page: the project's
workspace then shows their items; a bad checklist is refused and saves nothing; another
employer's listing is out of reach; "use the career center's" goes back to the default."""

from __future__ import annotations

from sqlalchemy import select

from internships.workspace.plan.models import ChecklistTemplate
from lti_tool.extensions import db
from tests.internships.work.helpers import engaged, public_client

from .helpers import employer_link, page_post


def _template(app, listing_id: int) -> list[str] | None:
    with app.app_context():
        row = db.session.scalar(
            select(ChecklistTemplate).where(ChecklistTemplate.listing_id == listing_id)
        )
        return [item["label"] for item in row.items] if row else None


def test_the_employer_adapts_a_listings_checklist(app, world):
    path = employer_link(app, world)
    listing = world["listing"]
    browser = public_client(app)
    page = browser.get(path).get_data(as_text=True)
    assert "Onboarding checklists" in page and "Kick-off call held" in page
    items = "Kick-off call with the analytics team\nVPN access granted\nNDA signed"
    resp = page_post(browser, path, form="checklist", subject=str(listing), items=items)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert "is saved" in browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert _template(app, listing) == items.splitlines()

    engagement_id = engaged(app, world)
    student = world["student"]
    shown = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "VPN access granted" in shown.get_data(as_text=True)

    too_long = page_post(browser, path, form="checklist", subject=str(listing), items="x" * 300)
    assert too_long.status_code == 422
    assert "200 characters" in too_long.get_data(as_text=True)
    assert _template(app, listing) == items.splitlines()  # nothing saved

    back = page_post(browser, path, form="checklist_default", subject=str(listing), items="")
    assert back.status_code == 303
    assert _template(app, listing) is None


def test_another_employers_listing_is_out_of_reach(app, world):
    from tests.internships.work.helpers import add_listing

    path = employer_link(app, world)
    with app.app_context():
        other = add_listing(world["school"].tenant_id, employer="Globex Research")
    resp = page_post(public_client(app), path, form="checklist", subject=str(other), items="Hi")
    assert resp.status_code == 422
    assert "not one of your organization" in resp.get_data(as_text=True)
    assert _template(app, other) is None
