"""The internship pages through real signed launches: the board and detail for students,
tenancy, the sanitiser on the page, the advisor's listing form and approval, CSRF, roles."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from internships.models import Listing
from internships.services.listings import ensure_employer
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.extensions import db
from tests.helpers import csrf_token, launch_csrf, reason
from tests.internships.conftest import ACTOR, listing_input


@pytest.fixture
def seed(app):
    """Factory: a committed listing in a tenant (through the services)."""

    def make(
        tenant_id: int, *, submit: bool = True, employer: str = "Acme Analytics", **overrides: Any
    ) -> int:
        overrides.setdefault("application_deadline", dt.date.today() + dt.timedelta(days=30))
        with app.app_context():
            emp = ensure_employer(Actor(tenant_id, ACTOR), employer)
            from internships.services.listings import create_listing

            listing = create_listing(
                Actor(tenant_id, ACTOR), listing_input(emp.id, **overrides), submit=submit
            )
            db.session.commit()
            return listing.id

    return make


def student(driver, platform, sub: str = "student-1"):
    lti = driver(platform)
    return lti.client, lti.launch(sub=sub, role="student", follow=False).lid


def advisor(driver, platform, sub: str = "advisor-1"):
    lti = driver(platform)
    launched = lti.launch(
        sub=sub, role="faculty", course=None, custom={"career_credit_role": "advisor"}, follow=False
    )
    return lti.client, launched.lid


def test_student_board_shows_open_listings_of_their_tenant_only(
    advised_platform, make_platform, driver, seed
):
    other = make_platform()
    seed(advised_platform.tenant_id, title="Open market research")
    seed(advised_platform.tenant_id, title="Draft listing nobody sees", submit=False)
    seed(advised_platform.tenant_id, title="Unpaid listing pending", compensation_type="unpaid")
    seed(other.tenant_id, title="Another school's listing")
    client, lid = student(driver, advised_platform)
    resp = client.get(f"/internships/?lid={lid}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Open market research" in page
    assert "$500.00 fixed fee (about $25.00 an hour)" in page
    assert "Draft listing nobody sees" not in page
    assert "Unpaid listing pending" not in page
    assert "Another school&#39;s listing" not in page and "Another school's" not in page
    assert "1 listing" in page


def test_board_search_filters_and_pages(advised_platform, driver, seed):
    for n in range(14):
        seed(advised_platform.tenant_id, title=f"Survey project {n:02d}", estimated_hours=10 + n)
    seed(
        advised_platform.tenant_id,
        title="Podcast editing",
        location_type="onsite",
        location="Campus",
    )
    client, lid = student(driver, advised_platform)
    page1 = client.get(f"/internships/?lid={lid}&q=survey&sort=hours").get_data(as_text=True)
    assert "14 listings for “survey”" in page1
    assert "Survey project 00" in page1 and "Survey project 12" not in page1
    assert "Podcast editing" not in page1
    page2 = client.get(f"/internships/?lid={lid}&q=survey&sort=hours&page=2")
    text2 = page2.get_data(as_text=True)
    assert "Survey project 12" in text2 and "Survey project 00" not in text2
    assert 'aria-current="page">Page 2' in text2
    remote = client.get(f"/internships/?lid={lid}&remote_only=y&max_hours=11")
    assert "2 listings" in remote.get_data(as_text=True)
    bad = client.get(f"/internships/?lid={lid}&min_hours=lots")
    assert bad.status_code == 200
    assert "Enter a whole number, like 3." in bad.get_data(as_text=True)


def test_detail_of_another_tenants_listing_is_not_found(
    advised_platform, make_platform, driver, seed
):
    other = make_platform()
    own = seed(advised_platform.tenant_id, title="Our listing")
    theirs = seed(other.tenant_id, title="Their listing")
    client, lid = student(driver, advised_platform)
    assert client.get(f"/internships/{own}?lid={lid}").status_code == 200  # positive control
    resp = client.get(f"/internships/{theirs}?lid={lid}")
    assert resp.status_code == 404
    assert "Their listing" not in resp.get_data(as_text=True)
    adv_client, adv_lid = advisor(driver, advised_platform)
    assert adv_client.get(f"/internships/{theirs}?lid={adv_lid}").status_code == 404


def test_students_do_not_see_pending_listings_but_advisors_do(advised_platform, driver, seed):
    pending = seed(advised_platform.tenant_id, title="Unpaid research", compensation_type="unpaid")
    client, lid = student(driver, advised_platform)
    assert client.get(f"/internships/{pending}?lid={lid}").status_code == 404
    adv_client, adv_lid = advisor(driver, advised_platform)
    page = adv_client.get(f"/internships/{pending}?lid={adv_lid}")
    assert page.status_code == 200
    assert "Waiting for approval" in page.get_data(as_text=True)


def test_description_markdown_is_sanitised_on_the_page(advised_platform, driver, seed):
    listing_id = seed(
        advised_platform.tenant_id,
        title="Sanitised",
        description_md=(
            "## Plan\n\nSome **bold** words.\n\n<script>alert('xss')</script>\n\n"
            '<img src="x" onerror="alert(1)">\n\n[click](javascript:alert(2))'
        ),
    )
    client, lid = student(driver, advised_platform)
    page = client.get(f"/internships/{listing_id}?lid={lid}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page and "<h4>Plan</h4>" in page  # positive control
    assert "alert(" not in page
    assert "onerror" not in page
    assert "javascript:" not in page


def _listing_form(**overrides: str) -> dict[str, Any]:
    data = {
        "new_employer": "Harbor Logistics",
        "title": "Warehouse data clean-up",
        "summary": "Tidy a stock spreadsheet.",
        "estimated_hours": "20",
        "compensation_type": "fixed",
        "pay_amount": "600.00",
        "currency": "USD",
        "location_type": "remote",
        "openings": "1",
        "skills": ["data-cleaning"],
        "competencies": ["Technology", "Critical Thinking"],
        "tags": "logistics, excel",
        "publish": "Publish",
    }
    data.update(overrides)
    return data


def test_advisor_creates_a_listing(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    form = client.get(f"/internships/new?lid={lid}")
    assert form.status_code == 200
    resp = client.post(
        "/internships/new", data={"lid": lid, "csrf_token": csrf_token(form), **_listing_form()}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        listing = db.session.scalar(
            select(Listing).where(
                Listing.tenant_id == advised_platform.tenant_id,
                Listing.title == "Warehouse data clean-up",
            )
        )
        assert listing is not None
        assert (listing.status, listing.effective_rate_cents) == ("open", 3000)
        assert listing.skills == ["data-cleaning"] and listing.tags == ["logistics", "excel"]
    detail = client.get(resp.headers["Location"])
    assert "is saved: open" in detail.get_data(as_text=True)


def test_advisor_form_errors_keep_the_input(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    token = csrf_token(client.get(f"/internships/new?lid={lid}"))
    resp = client.post(
        "/internships/new",
        data={
            "lid": lid,
            "csrf_token": token,
            **_listing_form(title="", location_type="onsite", summary="Keep me please"),
        },
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Give the listing a title." in page
    assert "Keep me please" in page and 'value="Harbor Logistics"' in page
    assert 'aria-invalid="true"' in page
    # a rule the service enforces: on-site work needs a place; shown next to that field
    resp = client.post(
        "/internships/new",
        data={
            "lid": lid,
            "csrf_token": token,
            **_listing_form(location_type="onsite", summary="Still here"),
        },
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="location-error"' in page and "Say where the work happens" in page
    assert "Still here" in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(Listing).where(Listing.tenant_id == advised_platform.tenant_id)
            )
            is None
        )


def test_listing_post_without_csrf_token_is_refused(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    form = client.get(f"/internships/new?lid={lid}")
    assert form.status_code == 200  # positive control: the form renders with its token
    csrf_token(form)
    resp = client.post("/internships/new", data={"lid": lid, **_listing_form()})
    assert resp.status_code == 400
    assert reason(resp) == "csrf"
    with app.app_context():
        assert (
            db.session.scalar(
                select(Listing).where(Listing.tenant_id == advised_platform.tenant_id)
            )
            is None
        )


@pytest.mark.parametrize("method", ["get", "post"])
def test_students_cannot_create_listings(advised_platform, driver, method):
    adv_client, adv_lid = advisor(driver, advised_platform)
    assert adv_client.get(f"/internships/new?lid={adv_lid}").status_code == 200  # control
    client, lid = student(driver, advised_platform)
    resp = getattr(client, method)(f"/internships/new?lid={lid}", data=_listing_form())
    assert resp.status_code == 403 if method == "get" else resp.status_code in (400, 403)
    if method == "get":
        assert reason(resp) == "role"


def test_student_post_with_valid_token_is_still_forbidden(advised_platform, driver, app):
    client, lid = student(driver, advised_platform)
    token = launch_csrf(app, lid)
    resp = client.post(
        "/internships/new", data={"lid": lid, "csrf_token": token, **_listing_form()}
    )
    assert resp.status_code == 403
    assert reason(resp) == "role"


def test_advisor_approves_an_unpaid_listing_with_the_seven_factors(
    advised_platform, driver, seed, app
):
    listing_id = seed(
        advised_platform.tenant_id, title="Unpaid archive project", compensation_type="unpaid"
    )
    client, lid = advisor(driver, advised_platform)
    manage = client.get(f"/internships/manage?lid={lid}").get_data(as_text=True)
    assert "Unpaid archive project" in manage and "1 listing waits" in manage
    page = client.get(f"/internships/{listing_id}/approve?lid={lid}")
    token = csrf_token(page)
    assert "Fact Sheet #71" in page.get_data(as_text=True)
    refused = client.post(
        f"/internships/{listing_id}/approve",
        data={"lid": lid, "csrf_token": token, "form": "approve", "note": "fine"},
    )
    assert refused.status_code == 422
    assert "Write at least 20 characters" in refused.get_data(as_text=True)
    from internships.vocabulary import UNPAID_FACTORS

    factors = {
        f"factor_{key}": f"Agreed in the learning agreement for {key}." for key, _ in UNPAID_FACTORS
    }
    resp = client.post(
        f"/internships/{listing_id}/approve",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "approve",
            "note": "Credit-bearing",
            **factors,
        },
    )
    assert resp.status_code == 303
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert listing.status == "open" and len(listing.unpaid_justification) == 7


def test_local_today_falls_back_to_utc():
    assert today_in("Not/AZone") == dt.datetime.now(dt.UTC).date()


def test_advisor_edits_a_listing_and_the_form_starts_filled(advised_platform, driver, seed, app):
    listing_id = seed(
        advised_platform.tenant_id,
        title="Original title",
        tags=["alpha", "beta"],
        competencies=["Teamwork"],
        skills=["sql"],
    )
    client, lid = advisor(driver, advised_platform)
    page = client.get(f"/internships/{listing_id}/edit?lid={lid}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="Original title"' in text and 'value="alpha, beta"' in text
    assert 'value="500.00"' in text
    assert re.search(r'value="sql" id="skills-\d+" checked>', text)
    form = _listing_form(title="Better title", pay_amount="500.00")
    form.pop("publish")
    form.pop("new_employer")
    with app.app_context():
        form["employer"] = str(db.session.get(Listing, listing_id).employer_id)
    resp = client.post(
        f"/internships/{listing_id}/edit",
        data={"lid": lid, "csrf_token": csrf_token(page), "save": "1", **form},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.title, listing.status) == ("Better title", "open")


def test_role_homes_link_to_the_board(advised_platform, driver):
    lti = driver(advised_platform)
    home = lti.launch(sub="stu-home", role="student").home
    assert "/internships/?lid=" in home.get_data(as_text=True)
    adv = driver(advised_platform).launch(
        sub="adv-home", role="faculty", course=None, custom={"career_credit_role": "advisor"}
    )
    assert "/internships/manage?lid=" in adv.home.get_data(as_text=True)


def test_advisor_marks_a_listing_filled(advised_platform, driver, seed, app):
    listing_id = seed(advised_platform.tenant_id, title="Soon filled")
    client, lid = advisor(driver, advised_platform)
    page = client.get(f"/internships/{listing_id}?lid={lid}")
    assert "Take this listing off the board" in page.get_data(as_text=True)
    resp = client.post(
        f"/internships/{listing_id}",
        data={"lid": lid, "csrf_token": csrf_token(page), "form": "close", "status": "filled"},
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "filled"
    stu_client, stu_lid = student(driver, advised_platform)
    # a student who found it sees that it is filled, and cannot apply; the board drops it
    shown = stu_client.get(f"/internships/{listing_id}?lid={stu_lid}")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Every opening of this listing is filled" in text
    assert f"/work/apply/{listing_id}" not in text
    board = stu_client.get(f"/internships/?lid={stu_lid}").get_data(as_text=True)
    assert "Soon filled" not in board and "Take this listing" not in board


def test_advisor_imports_a_file_and_sees_the_report(advised_platform, driver, app):
    import io

    from tests.internships.test_imports import CSV

    client, lid = advisor(driver, advised_platform)
    page = client.get(f"/internships/import?lid={lid}")
    token = csrf_token(page)
    resp = client.post(
        "/internships/import",
        data={"lid": lid, "csrf_token": token, "file": (io.BytesIO(CSV.encode()), "l.csv")},
        content_type="multipart/form-data",
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text[:800]
    assert "Imported: 2 created, 0 updated, 2 rejected" in text
    assert "is not a whole number" in text
    with app.app_context():
        assert db.session.scalar(
            select(Listing).where(
                Listing.tenant_id == advised_platform.tenant_id, Listing.external_id == "C-1"
            )
        )
    bad = client.post(
        "/internships/import",
        data={"lid": lid, "csrf_token": token, "file": (io.BytesIO(b"{oops"), "l.json")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "not valid JSON" in bad.get_data(as_text=True)
    stu_client, stu_lid = student(driver, advised_platform)
    assert stu_client.get(f"/internships/import?lid={stu_lid}").status_code == 403
