"""Faculty pin listings to their course board (first, marked, scoped to the course; a TA reads
only); per-course workload caps over the tenant's; recorded CPT approvals gate the acceptance
of F-1 students into credit-bearing off-campus work."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from internships.profile.models import StudentProfile
from internships.work.models import CptApproval, Engagement
from internships.work.services import applications as apps
from internships.work.services.caps import effective_caps
from internships.work.services.cpt import CptInput, record_cpt_approval, revoke_cpt_approval
from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import counted, csrf_token, launch_csrf

from .helpers import (
    ADVISOR_ACTOR,
    GOALS,
    apply,
    form_values,
    last_link,
    public_client,
    submit_application,
)

F1 = "F-1 (CPT needed for credit-bearing off-campus work)"


def board_titles(person) -> list[str]:
    text = person.client.get(f"/internships/?lid={person.lid}").get_data(as_text=True)
    return re.findall(r'id="listing-\d+-title"><a [^>]+>([^<]+)</a>', text)


def post_pin(person, listing_id: int, action: str = "pin"):
    page = person.client.get(f"/internships/{listing_id}?lid={person.lid}")
    return person.client.post(
        f"/internships/{listing_id}/{action}",
        data={"lid": person.lid, "csrf_token": csrf_token(page)},
    )


# --- pins ------------------------------------------------------------------------------------


def test_faculty_pin_a_listing_first_on_their_course_board_only(app, school, seed_listing):
    first = seed_listing(school.tenant_id, title="Alpha analytics sprint")
    pinned = seed_listing(
        school.tenant_id,
        title="Zeta survey project",
        application_deadline=dt.date.today() + dt.timedelta(days=90),
    )
    faculty = school.person("faculty", course="course-1")
    student = school.person("student", course="course-1")
    elsewhere = school.person("student", course="course-2")
    before = board_titles(student)
    assert before.index("Alpha analytics sprint") < before.index("Zeta survey project")
    assert post_pin(faculty, pinned).status_code == 303
    after = board_titles(student)
    assert after[0] == "Zeta survey project"
    with app.app_context(), counted() as statements:
        page = student.client.get(f"/internships/?lid={student.lid}").get_data(as_text=True)
    assert page.count("Pinned by your instructor") == 1  # the pinned listing's card only
    # the badges come with the page's listings, not from a read of every pin (issue 16)
    assert not [s for s in statements if s.lstrip().startswith("SELECT course_pin.listing_id")]
    # Another course's board is not touched.
    other = board_titles(elsewhere)
    assert other.index("Alpha analytics sprint") < other.index("Zeta survey project")
    assert "Pinned by your instructor" not in elsewhere.client.get(
        f"/internships/?lid={elsewhere.lid}"
    ).get_data(as_text=True)
    detail = faculty.client.get(f"/internships/{pinned}?lid={faculty.lid}").get_data(True)
    assert "Unpin from" in detail
    home = faculty.client.get(f"/home/?lid={faculty.lid}", follow_redirects=True).get_data(True)
    assert "Pinned to the top of this course" in home and "Zeta survey project" in home
    assert post_pin(faculty, pinned, "unpin").status_code == 303
    assert board_titles(student).index("Alpha analytics sprint") < board_titles(student).index(
        "Zeta survey project"
    )
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.tenant_id == school.tenant_id,
                    AuditEntry.action.in_(("listing.pin", "listing.unpin")),
                )
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["listing.pin", "listing.unpin"]
    assert first


def test_a_ta_and_a_student_cannot_pin(app, school, seed_listing):
    listing = seed_listing(school.tenant_id)
    faculty = school.person("faculty")
    assert post_pin(faculty, listing).status_code == 303  # positive control
    ta = school.person("ta")
    refused = ta.client.post(
        f"/internships/{listing}/unpin",
        data={"lid": ta.lid, "csrf_token": launch_csrf(app, ta.lid)},
    )
    assert refused.status_code == 403
    assert 'data-reason="read_only"' in refused.get_data(as_text=True)
    page = ta.client.get(f"/internships/{listing}?lid={ta.lid}").get_data(as_text=True)
    assert "Your access is read-only" in page
    student = school.person("student")
    denied = student.client.post(
        f"/internships/{listing}/pin",
        data={"lid": student.lid, "csrf_token": launch_csrf(app, student.lid)},
    )
    assert denied.status_code == 403 and 'data-reason="role"' in denied.get_data(as_text=True)


# --- per-course workload caps ------------------------------------------------------------------


def post_caps(person, **values):
    page = person.client.get(f"/work/caps?lid={person.lid}")
    assert page.status_code == 200
    return person.client.post(
        "/work/caps", data={"lid": person.lid, "csrf_token": csrf_token(page), **values}
    )


def test_course_caps_override_the_tenant_and_fall_back(app, school, seed_listing):
    faculty = school.person("faculty", course="course-1")
    resp = post_caps(faculty, max_concurrent="1", max_weekly_hours="")
    assert resp.status_code == 303
    first = seed_listing(school.tenant_id, title="First project")
    second = seed_listing(school.tenant_id, title="Second project", employer="Other Co")
    third = seed_listing(school.tenant_id, title="Third project", employer="Third Co")
    student = school.person("student", course="course-1")
    other_course = school.person("student", course="course-2", sub=student.sub)
    with app.app_context():
        caps = effective_caps(school.tenant_id, student.ctx().course_id)
        assert (caps.max_concurrent, caps.max_weekly_hours) == (1, 15)
        assert effective_caps(school.tenant_id, other_course.ctx().course_id).max_concurrent == 2
        a1 = apply(student.ctx(), first)
        apps.decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), a1.id, "accept", by_advisor=True
        )
        a2 = apply(student.ctx(), second)
        with pytest.raises(PolicyViolationError) as refused:
            apps.decide_application(
                Actor(school.tenant_id, ADVISOR_ACTOR), a2.id, "accept", by_advisor=True
            )
        assert refused.value.reason == "workload_cap"
        assert "the limit is 1 at a time" in refused.value.message
        assert "already has 1 current engagement;" in refused.value.message
        db.session.rollback()
        # The same student applying from the other course falls back to the tenant's cap (2).
        a3 = apply(other_course.ctx(), third)
        apps.decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), a3.id, "accept", by_advisor=True
        )
        db.session.commit()


def test_caps_page_roles_and_validation(app, school):
    faculty = school.person("faculty")
    bad = post_caps(faculty, max_concurrent="0", max_weekly_hours="99")
    assert bad.status_code == 422
    assert "Choose between 1 and 10." in bad.get_data(as_text=True)
    ta = school.person("ta")
    page = ta.client.get(f"/work/caps?lid={ta.lid}")
    assert page.status_code == 200 and "read-only" in page.get_data(as_text=True)
    refused = ta.client.post(
        "/work/caps",
        data={"lid": ta.lid, "csrf_token": launch_csrf(app, ta.lid), "max_concurrent": "3"},
    )
    assert refused.status_code == 403
    student = school.person("student")
    assert student.client.get(f"/work/caps?lid={student.lid}").status_code == 403


# --- CPT -------------------------------------------------------------------------------------


def make_f1(app, person) -> int:
    with app.app_context():
        ctx = person.ctx()
        db.session.add(
            StudentProfile(
                tenant_id=ctx.tenant_id,
                user_id=ctx.user_id,
                work_authorization=F1,
                skills=[],
            )
        )
        db.session.commit()
        return ctx.user_id


def test_f1_acceptance_needs_a_recorded_cpt_approval(app, school, seed_listing):
    today = dt.date.today()
    listing_id = seed_listing(
        school.tenant_id,
        work_start=today + dt.timedelta(days=40),
        work_end=today + dt.timedelta(days=60),
        openings=3,
    )
    citizen = school.person("student")
    f1 = school.person("student")
    student_id = make_f1(app, f1)
    with app.app_context():
        ok = apply(citizen.ctx(), listing_id)
        apps.decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), ok.id, "accept", by_advisor=True
        )
        application = apply(f1.ctx(), listing_id)
        db.session.commit()
        with pytest.raises(PolicyViolationError) as refused:
            apps.decide_application(
                Actor(school.tenant_id, ADVISOR_ACTOR),
                application.id,
                "accept",
                by_advisor=True,
                override_reason="An override reason does not help here.",
            )
        assert refused.value.reason == "cpt_required"
        assert "F-1" in refused.value.message
        db.session.rollback()
        listing = db.session.get(type(application.listing), listing_id)
        # An approval that ends before the work does is not enough.
        short = record_cpt_approval(
            Actor(school.tenant_id, ADVISOR_ACTOR),
            CptInput(
                student_id=student_id,
                start_date=today,
                end_date=today + dt.timedelta(days=50),
                dso_name="Dana Whitaker",
                employer_id=listing.employer_id,
            ),
        )
        with pytest.raises(PolicyViolationError):
            apps.decide_application(
                Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True
            )
        db.session.rollback()
        full = record_cpt_approval(
            Actor(school.tenant_id, ADVISOR_ACTOR),
            CptInput(
                student_id=student_id,
                start_date=today,
                end_date=today + dt.timedelta(days=90),
                dso_name="Dana Whitaker",
                listing_id=listing_id,
            ),
        )
        revoke_cpt_approval(Actor(school.tenant_id, ADVISOR_ACTOR), full.id)
        with pytest.raises(PolicyViolationError):
            apps.decide_application(
                Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True
            )
        db.session.rollback()
        record_cpt_approval(
            Actor(school.tenant_id, ADVISOR_ACTOR),
            CptInput(
                student_id=student_id,
                start_date=today,
                end_date=today + dt.timedelta(days=90),
                dso_name="Dana Whitaker",
                listing_id=listing_id,
            ),
        )
        apps.decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True
        )
        db.session.commit()
        assert db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
        assert short.id


def test_advisor_records_cpt_on_the_page_and_the_refusal_is_shown(app, school, seed_listing):
    listing_id = seed_listing(school.tenant_id)
    f1 = school.person("student")
    student_id = make_f1(app, f1)

    apply_page = f1.client.get(f"/work/apply/{listing_id}?lid={f1.lid}").get_data(True)
    assert "must record a CPT approval" in apply_page
    submit_application(f1, listing_id)
    advisor = school.person("advisor")
    with app.app_context():
        application_id = db.session.scalar(
            select(apps.Application.id).where(apps.Application.student_id == student_id)
        )
    url = f"/work/applications/{application_id}/accept"  # "Accept" leads to the terms
    terms = advisor.client.get(f"{url}?lid={advisor.lid}").get_data(True)
    refused = advisor.client.post(
        url, data={**form_values(terms, url), "goals": GOALS, "lid": advisor.lid}
    )
    assert refused.status_code == 422
    assert "needs a CPT approval recorded by the career center" in refused.get_data(True)
    cpt_page = advisor.client.get(f"/work/cpt?lid={advisor.lid}")
    assert cpt_page.status_code == 200
    assert "(F-1)" in cpt_page.get_data(as_text=True)
    today = dt.date.today()
    missing = advisor.client.post(
        "/work/cpt",
        data={"lid": advisor.lid, "csrf_token": csrf_token(cpt_page), "student": str(student_id)},
    )
    assert missing.status_code == 422
    recorded = advisor.client.post(
        "/work/cpt",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(cpt_page),
            "student": str(student_id),
            "listing": str(listing_id),
            "employer": "0",
            "start_date": today.isoformat(),
            "end_date": (today + dt.timedelta(days=120)).isoformat(),
            "dso_name": "Dana Whitaker",
        },
    )
    assert recorded.status_code == 303, recorded.get_data(as_text=True)[:1000]
    accepted = advisor.client.post(
        url,
        data={
            **form_values(terms, url),
            "goals": GOALS,
            "competencies": "Teamwork",  # the listing named none
            "lid": advisor.lid,
        },
        follow_redirects=True,
    )
    assert "is accepted; they are asked to acknowledge" in accepted.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(CptApproval.dso_name).where(CptApproval.student_id == student_id)
            )
            == "Dana Whitaker"
        )
        assert db.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.tenant_id == school.tenant_id,
                AuditEntry.action == "cpt_approval.record",
            )
        )
    assert f1.client.get(f"/work/cpt?lid={f1.lid}").status_code == 403


def test_an_employer_is_not_told_the_students_visa_status(app, school, seed_listing):

    listing_id = seed_listing(school.tenant_id)
    f1 = school.person("student")
    student_id = make_f1(app, f1)
    submit_application(f1, listing_id)
    advisor = school.person("advisor")
    page = advisor.client.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    sent = advisor.client.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": "",
        },
    )
    assert sent.status_code == 303
    path = last_link(app, "sam@acme.example", "select")
    employer = public_client(app)
    form = employer.get(path)
    with app.app_context():
        application_id = db.session.scalar(
            select(apps.Application.id).where(apps.Application.student_id == student_id)
        )
    resp = employer.post(
        path, data={"csrf_token": csrf_token(form), f"decision-{application_id}": "accept"}
    )
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "must first complete a work-authorization record" in text
    assert "F-1" not in text and "visa" not in text
    # The link is not spent by a refused decision: a shortlist still goes through.
    ok = employer.post(
        path, data={"csrf_token": csrf_token(form), f"decision-{application_id}": "shortlist"}
    )
    assert ok.status_code == 200 and "1 decision recorded" in ok.get_data(as_text=True)
