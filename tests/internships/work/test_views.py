"""The work pages through real signed launches: applying with a résumé and consent, "My
applications", withdrawing, the advisor's decisions, engagement pages, files served only after
an access check, roles, tenancy and CSRF."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from internships.work.models import Application, Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import csrf_token

from .conftest import make_world
from .helpers import (
    PDF,
    accept_via_advisor,
    acknowledge_on_page,
    apply_form,
    submit_application,
    the_application,
)


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, ("Teamwork",))


def test_apply_then_my_applications_then_withdraw(app, world):
    student = world["student"]
    page = student.client.get(f"/work/apply/{world['listing']}?lid={student.lid}")
    text = page.get_data(as_text=True)
    assert "Share my statement, résumé and availability with Acme Analytics" in text
    resp = submit_application(student, world["listing"])
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    mine = student.client.get(f"/work/applications?lid={student.lid}").get_data(as_text=True)
    assert "Market research sprint" in mine and "Submitted" in mine
    application = the_application(app, student.sub)
    assert application.resume_filename == "my_cv.pdf" or application.resume_filename == "my cv.pdf"
    download = student.client.get(f"/work/applications/{application.id}/resume?lid={student.lid}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == PDF
    resp = student.client.post(
        f"/work/applications/{application.id}/withdraw",
        data={
            "lid": student.lid,
            "csrf_token": csrf_token(  # the confirmation page's form
                student.client.get(
                    f"/work/applications/{application.id}/withdraw?lid={student.lid}"
                )
            ),
        },
    )
    assert resp.status_code == 303
    assert the_application(app, student.sub).status == "withdrawn"


def test_apply_without_consent_or_with_a_fake_pdf_is_refused(app, world):
    student = world["student"]
    resp = submit_application(student, world["listing"], consent=None)
    assert resp.status_code == 422
    assert "Nothing is sent to Acme Analytics without your consent" in resp.get_data(True)
    resp = submit_application(
        student, world["listing"], resume=(io.BytesIO(b"GIF89a fake"), "cv.pdf")
    )
    assert resp.status_code == 422
    assert "must be a PDF" in resp.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(Application).where(Application.listing_id == world["listing"]))
            is None
        )


def test_a_form_post_without_its_csrf_token_is_refused(world):
    student = world["student"]
    assert submit_application(student, world["listing"]).status_code == 303  # positive control
    resp = student.client.post(
        f"/work/apply/{world['listing']}",
        data=apply_form(student.lid, ""),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert 'data-reason="csrf"' in resp.get_data(as_text=True)


def test_students_never_see_each_others_applications_or_engagements(app, world, make_school):
    student, other = world["student"], world["other"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    assert accept_via_advisor(world, application.id).status_code == 200
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    own = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert own.status_code == 200  # positive control
    for url in (
        f"/work/engagements/{engagement_id}",
        f"/work/applications/{application.id}/resume",
    ):
        resp = other.client.get(f"{url}?lid={other.lid}")
        assert resp.status_code == 404, url
    page = other.client.get(f"/work/applications?lid={other.lid}").get_data(as_text=True)
    assert "Market research sprint" not in page
    resp = other.client.post(
        f"/work/engagements/{engagement_id}",
        data={
            "form": "hours",
            "lid": other.lid,
            "csrf_token": csrf_token(own),
            "work_date": "2026-01-05",
            "hours": "2",
            "description": "Sneaky",
        },
    )
    assert resp.status_code in (400, 404)
    # another tenant's advisor, and faculty of another course, see nothing either
    elsewhere = make_school().person("advisor")
    assert (
        elsewhere.client.get(f"/work/engagements/{engagement_id}?lid={elsewhere.lid}").status_code
        == 404
    )
    assert (
        elsewhere.client.get(
            f"/work/applications/{application.id}/resume?lid={elsewhere.lid}"
        ).status_code
        == 404
    )
    course2 = world["school"].person("faculty", course="course-2")
    assert (
        course2.client.get(f"/work/engagements/{engagement_id}?lid={course2.lid}").status_code
        == 404
    )
    faculty = world["faculty"]
    assert (
        faculty.client.get(f"/work/engagements/{engagement_id}?lid={faculty.lid}").status_code
        == 200
    )


def test_roles_are_checked(world):
    faculty, student = world["faculty"], world["student"]
    assert (
        faculty.client.get(f"/work/apply/{world['listing']}?lid={faculty.lid}").status_code == 403
    )
    assert (
        student.client.get(
            f"/work/listings/{world['listing']}/applicants?lid={student.lid}"
        ).status_code
        == 403
    )
    assert student.client.get(f"/work/?lid={student.lid}").status_code == 403


def test_advisor_decides_and_the_workload_cap_needs_a_reason(app, world, seed_listing):
    school, student = world["school"], world["student"]
    with app.app_context():
        from lti_tool.models import Tenant

        tenant = db.session.get(Tenant, school.tenant_id)
        tenant.settings = {**tenant.settings, "max_concurrent_engagements": 1}
        db.session.commit()
    second = seed_listing(school.tenant_id, title="Second project", employer="Beta Co")
    submit_application(student, world["listing"])
    submit_application(student, second)
    with app.app_context():
        ids = sorted(
            db.session.scalars(
                select(Application.id).where(Application.listing_id.in_([world["listing"], second]))
            )
        )
    page = accept_via_advisor(world, ids[0])
    assert "is accepted; they are asked to acknowledge" in page.get_data(as_text=True)
    page = accept_via_advisor(world, ids[1]).get_data(as_text=True)
    assert "the limit is 1 at a time" in page
    page = accept_via_advisor(world, ids[1], override_reason="Last term before graduating.")
    assert "is accepted; they are asked to acknowledge" in page.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry.detail).where(
                    AuditEntry.action == "engagement.cap_override",
                    AuditEntry.tenant_id == school.tenant_id,
                )
            )["reason"]
            == "Last term before graduating."
        )


def test_engagement_page_logs_hours_adds_deliverables_and_reflects(app, world):
    student = world["student"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    url = f"/work/engagements/{engagement_id}"
    page = student.client.get(f"{url}?lid={student.lid}")
    token = csrf_token(page)
    assert "Learning agreement" in page.get_data(as_text=True)
    today = dt.date.today().isoformat()
    entry = {
        "lid": student.lid,
        "csrf_token": token,
        "work_date": today,
        "hours": "2.5",
        "description": "Interviewed five customers",
    }
    # Before the learning agreement is acknowledged, no hours: the page says what to do.
    refused = student.client.post(f"{url}", data={**entry, "form": "hours"})
    assert refused.status_code == 422
    assert "Acknowledge the learning agreement above first" in refused.get_data(as_text=True)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    acknowledge_on_page(student, engagement_id)
    resp = student.client.post(f"{url}", data={**entry, "form": "hours"})
    assert resp.status_code == 303
    # Nor a day before the engagement was accepted (today).
    refused = student.client.post(f"{url}", data={**entry, "form": "hours", "work_date": yesterday})
    assert refused.status_code == 422
    assert "before the engagement&#39;s first day" in refused.get_data(as_text=True)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    resp = student.client.post(
        f"{url}",
        data={
            "form": "hours",
            "lid": student.lid,
            "csrf_token": token,
            "work_date": future,
            "hours": "1",
            "description": "Time travel",
        },
    )
    assert resp.status_code == 422
    assert "future date" in resp.get_data(as_text=True)
    resp = student.client.post(
        f"{url}",
        data={
            "form": "deliverable",
            "lid": student.lid,
            "csrf_token": token,
            "title": "Interview notes",
            "file": (io.BytesIO(PDF), "notes.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    resp = student.client.post(
        f"{url}",
        data={
            "form": "deliverable",
            "lid": student.lid,
            "csrf_token": token,
            "title": "Script",
            "file": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "run.sh"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "not accepted" in resp.get_data(as_text=True)
    page = student.client.get(f"{url}?lid={student.lid}").get_data(as_text=True)
    assert "Interviewed five customers" in page and "Interview notes" in page
    deliverable_id = re.search(r"/work/deliverables/(\d+)", page).group(1)
    file = student.client.get(f"/work/deliverables/{deliverable_id}?lid={student.lid}")
    assert file.status_code == 200 and file.headers["Content-Disposition"].startswith("attachment")
    other = world["other"]
    assert (
        other.client.get(f"/work/deliverables/{deliverable_id}?lid={other.lid}").status_code == 404
    )
    faculty = world["faculty"]
    assert (
        faculty.client.get(f"/work/deliverables/{deliverable_id}?lid={faculty.lid}").status_code
        == 200
    )
    reflection = student.client.get(f"{url}/reflection?lid={student.lid}")
    assert reflection.status_code == 200
    resp = student.client.post(
        f"{url}/reflection",
        data={
            "lid": student.lid,
            "csrf_token": csrf_token(reflection),
            "what": "Draft",
            "save": "Save",
        },
    )
    assert resp.status_code == 303


def test_faculty_confirms_hours_and_the_student_is_notified(app, world):
    student, faculty = world["student"], world["faculty"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    url = f"/work/engagements/{engagement_id}"
    acknowledge_on_page(student, engagement_id)
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    student.client.post(
        f"{url}",
        data={
            "form": "hours",
            "lid": student.lid,
            "csrf_token": token,
            "work_date": dt.date.today().isoformat(),
            "hours": "3",
            "description": "Built the survey",
        },
    )
    with app.app_context():
        log_id = db.session.scalar(select(HourLog.id).where(HourLog.engagement_id == engagement_id))
    page = faculty.client.get(f"{url}?lid={faculty.lid}")
    resp = faculty.client.post(
        f"{url}",
        data={
            "form": "review_hours",
            "lid": faculty.lid,
            "csrf_token": csrf_token(page),
            f"decision-{log_id}": "confirm",
        },
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(HourLog, log_id).status == "confirmed"
    from flask import render_template

    from lti_tool.notify.notifications import unread_notifications

    with app.test_request_context(f"/?lid={student.lid}"):
        from lti_tool.auth import current_launch

        ctx = current_launch()
        html = render_template("work/_notifications.html", notifications=unread_notifications(ctx))
    assert "3 hours on “Market research sprint” were confirmed." in html
    assert "Mark all as read" in html


def test_advisor_overview_lists_listings_with_applications(world):
    student, advisor = world["student"], world["advisor"]
    empty = advisor.client.get(f"/work/?lid={advisor.lid}").get_data(as_text=True)
    assert "No applications yet." in empty  # positive control
    submit_application(student, world["listing"])
    page = advisor.client.get(f"/work/?lid={advisor.lid}").get_data(as_text=True)
    assert f"/work/listings/{world['listing']}/applicants" in page
    assert "Market research sprint" in page


def test_applying_twice_goes_to_my_applications(world):
    student = world["student"]
    assert submit_application(student, world["listing"]).status_code == 303
    again = student.client.get(f"/work/apply/{world['listing']}?lid={student.lid}")
    assert again.status_code == 303
    assert "/work/applications" in again.headers["Location"]


def test_a_refused_action_says_why_on_the_page(app, world):
    student = world["student"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    resp = student.client.post(
        f"{url}",
        data={"form": "status", "lid": student.lid, "csrf_token": token, "action": "submit"},
        follow_redirects=True,
    )
    assert resp.status_code == 422  # the page again, the reason next to the choice
    assert "Acknowledge your learning agreement before you submit." in resp.get_data(True)
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).status == "active"


def test_faculty_edit_the_agreement_and_the_student_acknowledges_it(app, world):
    student, faculty, advisor = world["student"], world["faculty"], world["advisor"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    url = f"/work/engagements/{engagement_id}"
    assert advisor.client.get(f"{url}?lid={advisor.lid}").status_code == 200
    form = faculty.client.get(f"{url}/agreement?lid={faculty.lid}")
    assert form.status_code == 200
    assert "<legend>Targeted career competencies</legend>" in form.get_data(as_text=True)
    data = {
        "lid": faculty.lid,
        "csrf_token": csrf_token(form),
        "competencies": ["Teamwork", "Technology"],
        "planned_hours": "24",
        "supervisor_name": "Sam Supervisor",
        "supervisor_email": "sam@acme.example",
        "start_date": "2026-09-01",
        "end_date": "2026-09-30",
        "goals": "Build a dashboard",
    }
    bad = faculty.client.post(f"{url}/agreement", data={**data, "end_date": "2026-08-01"})
    assert bad.status_code == 422
    assert "on or after the start date" in bad.get_data(as_text=True)
    assert faculty.client.post(f"{url}/agreement", data=data).status_code == 303
    page = student.client.get(f"{url}?lid={student.lid}")
    assert "Teamwork, Technology" in page.get_data(as_text=True)
    resp = student.client.post(
        f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": csrf_token(page)}
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).acknowledged_at is not None
    ta_driver = world["school"].driver(world["school"].platform)
    ta = ta_driver.launch(sub="ta-1", role="ta", follow=False)
    page = ta_driver.client.get(f"{url}?lid={ta.lid}")
    assert page.status_code == 200  # a TA reads the course's engagements
    assert "Edit the learning agreement" not in page.get_data(as_text=True)
    refused = ta_driver.client.get(f"{url}/agreement?lid={ta.lid}")
    assert refused.status_code == 403 and 'data-reason="read_only"' in refused.get_data(True)
