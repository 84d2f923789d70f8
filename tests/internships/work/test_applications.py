"""Applying, withdrawing and selection through the services, with contexts of real launches:
consent, the résumé check, one application per listing, eligibility, tenancy, decisions,
notifications, openings and the workload caps with the advisor's recorded override."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from internships.models import Listing
from internships.work.models import Application, Engagement
from internships.work.services import uploads
from internships.work.services.applications import (
    ApplicationInvalidError,
    decide_application,
    get_application,
    listing_applicants,
    my_applications,
    withdraw_application,
)
from internships.work.services.workload import planned_weekly_hours
from lti_tool.actor import Actor
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.notify.models import EmailMessage, Notification
from lti_tool.notify.notifications import mark_notifications_read, unread_notifications

from .helpers import ADVISOR_ACTOR, accept, add_listing, apply, audit_actions


@pytest.fixture
def setup(app, school, seed_listing):
    student = school.person("student")
    other = school.person("student")
    advisor = school.person("advisor")
    listing_id = seed_listing(school.tenant_id, competencies=["Teamwork", "Communication"])
    with app.app_context():
        yield school, student.ctx(), other.ctx(), advisor.ctx(), listing_id


def test_apply_records_consent_and_stores_the_resume_outside_the_web_root(app, setup):
    school, student, _, _, listing_id = setup
    application = apply(student, listing_id)
    assert application.status == "submitted"
    assert application.consent_employer == "Acme Analytics"
    assert application.consented_at is not None
    assert application.course_id == student.course_id
    stored = uploads.open_path(application.resume_path or "")
    assert stored.read_bytes().startswith(b"%PDF-")
    assert stored.name != "cv.pdf" and application.resume_filename == "cv.pdf"
    assert not stored.resolve().is_relative_to(app.static_folder)
    assert "application.submit" in audit_actions(school.tenant_id)


def test_apply_without_consent_is_refused_and_nothing_is_stored(setup):
    _, student, other, _, listing_id = setup
    assert apply(other, listing_id).consented_at is not None  # positive control
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, listing_id, consent=False)
    assert exc.value.reason == "no_consent"
    assert "Acme Analytics" in exc.value.message
    assert my_applications(student) == []


@pytest.mark.parametrize(
    ("resume", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "resume_not_pdf"),
        (b"%PDF-1.4 but then nothing that a PDF has", "resume_not_pdf"),
        (b"", "resume_missing"),
    ],
)
def test_resume_must_be_a_pdf_by_content(setup, resume, reason):
    _, student, _, _, listing_id = setup
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, listing_id, resume=resume, resume_filename="cv.pdf")
    assert exc.value.reason == reason


def test_resume_size_limit_comes_from_config(app, setup, monkeypatch):
    _, student, _, _, listing_id = setup
    monkeypatch.setitem(app.config, "RESUME_MAX_BYTES", 100)
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, listing_id, resume=b"%PDF-1.4\n" + b" " * 200 + b"startxref\n%%EOF")
    assert exc.value.reason == "resume_too_large"


def test_one_application_per_listing_until_withdrawn(setup):
    _, student, _, _, listing_id = setup
    first = apply(student, listing_id)
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, listing_id)
    assert exc.value.reason == "duplicate"
    withdraw_application(student, first.id)
    again = apply(student, listing_id)
    assert again.id == first.id and again.status == "submitted"


def test_deadline_and_eligibility_are_checked(app, school, seed_listing, setup):
    _, student, _, _, _ = setup
    closed = add_listing(
        school.tenant_id, application_deadline=dt.date(2020, 1, 1), title="Old listing"
    )
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, closed)
    assert exc.value.reason == "deadline_passed"
    restricted = add_listing(
        school.tenant_id, programs=["Business"], class_years=["2027"], title="Business only"
    )
    with pytest.raises(ApplicationInvalidError) as exc:
        apply(student, restricted, program="History", class_year="2027")
    assert exc.value.reason == "not_eligible" and exc.value.field == "program"
    assert apply(student, restricted, program="business", class_year="2027").status == "submitted"


def test_only_open_listings_of_the_students_tenant(app, make_platform, seed_listing, setup):
    _, student, _, _, _ = setup
    other_school = make_platform()
    theirs = add_listing(other_school.tenant_id)
    with pytest.raises(NotFoundError):
        apply(student, theirs)
    pending = add_listing(setup[0].tenant_id, compensation_type="unpaid", title="Unpaid")
    with pytest.raises(NotFoundError):
        apply(student, pending)


def test_only_students_apply(setup):
    _, _, _, advisor, listing_id = setup
    with pytest.raises(ForbiddenError):
        apply(advisor, listing_id)


def test_a_student_cannot_see_or_withdraw_another_students_application(setup):
    _, student, other, advisor, listing_id = setup
    mine = apply(student, listing_id)
    assert get_application(student, mine.id).id == mine.id  # positive control
    assert get_application(advisor, mine.id).id == mine.id
    with pytest.raises(NotFoundError):
        get_application(other, mine.id)
    with pytest.raises(NotFoundError):
        withdraw_application(other, mine.id)
    assert my_applications(other) == []


def test_withdraw_only_while_under_consideration(setup):
    _, student, _, _, listing_id = setup
    engagement = accept(student, listing_id)
    with pytest.raises(PolicyViolationError) as exc:
        withdraw_application(student, engagement.application_id)
    assert exc.value.reason == "not_withdrawable"


def test_shortlist_then_accept_creates_the_engagement_and_notifies(setup):
    school, student, _, _, listing_id = setup
    application = apply(student, listing_id)
    decide_application(
        Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "shortlist", by_advisor=True
    )
    assert application.status == "shortlisted"
    decide_application(
        Actor(school.tenant_id, "Sam <sam@acme.example>"),
        application.id,
        "accept",
        by_advisor=False,
        listing_id=listing_id,
    )
    assert application.status == "accepted"
    engagement = db.session.scalar(
        select(Engagement).where(Engagement.application_id == application.id)
    )
    assert engagement is not None and engagement.status == "active"
    assert engagement.competencies == ["Teamwork", "Communication"]
    assert engagement.planned_hours == 20
    assert engagement.supervisor_email == "sam@acme.example"
    kinds = [n.kind for n in unread_notifications(student)]
    assert kinds == ["application_accepted", "application_shortlisted"]
    mails = db.session.scalars(
        select(EmailMessage).where(EmailMessage.to_address == f"{student_sub(student)}")
    ).all()
    assert len(mails) == 2 and all(m.transport == "outbox" for m in mails)
    assert audit_actions(school.tenant_id)[-3:] == [
        "application.shortlisted",
        "listing.filled",  # its one opening taken
        "application.accepted",
    ]


def student_sub(ctx) -> str:
    return ctx.user_email


def test_decline_notifies_and_a_decided_application_stays_decided(setup):
    school, student, _, _, listing_id = setup
    application = apply(student, listing_id)
    decide_application(
        Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "decline", by_advisor=True
    )
    assert unread_notifications(student)[0].kind == "application_declined"
    with pytest.raises(PolicyViolationError) as exc:
        decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True
        )
    assert exc.value.reason == "decision_not_allowed"


def test_supervisor_link_decides_only_its_own_listings_applicants(school, seed_listing, setup):
    _, student, _, _, listing_id = setup
    other_listing = add_listing(school.tenant_id, title="Other listing", employer="Other Co")
    application = apply(student, other_listing)
    with pytest.raises(NotFoundError):
        decide_application(
            Actor(school.tenant_id, "Sam"),
            application.id,
            "accept",
            by_advisor=False,
            listing_id=listing_id,
        )


def test_withdrawn_applications_are_not_shown_to_employers(setup):
    school, student, other, _, listing_id = setup
    apply(student, listing_id)
    withdrawn = apply(other, listing_id)
    withdraw_application(other, withdrawn.id)
    assert [a.student_id for a in listing_applicants(school.tenant_id, listing_id)] == [
        student.user_id
    ]


def test_openings_cap_acceptances_and_the_last_one_fills_the_listing(school, seed_listing, setup):
    _, student, other, _, _ = setup
    listing_id = add_listing(school.tenant_id, openings=1, title="One opening")
    waiting = apply(other, listing_id)  # applied while the opening was free
    accept(student, listing_id)
    listing = db.session.get(Listing, listing_id)
    assert listing is not None and listing.status == "filled"  # off the board
    assert "listing.filled" in audit_actions(school.tenant_id)
    with pytest.raises(PolicyViolationError) as exc:
        decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), waiting.id, "accept", by_advisor=True
        )
    assert exc.value.reason == "no_openings"
    assert str(exc.value) == "The one opening of this listing is filled."
    third = school.person("student").ctx()
    with pytest.raises(NotFoundError):  # no new applications
        apply(third, listing_id)


def test_concurrent_cap_refused_then_overridden_with_a_recorded_reason(school, seed_listing, setup):
    _, student, _, _, listing_id = setup
    db.session.get(Tenant, school.tenant_id).settings = {
        **db.session.get(Tenant, school.tenant_id).settings,
        "max_concurrent_engagements": 1,
    }
    accept(student, listing_id)  # positive control: the first is within the cap
    second = add_listing(school.tenant_id, title="Second project", employer="Beta")
    application = apply(student, second)
    with pytest.raises(PolicyViolationError) as exc:
        decide_application(
            Actor(school.tenant_id, "Sam"),
            application.id,
            "accept",
            by_advisor=False,
            override_reason="The supervisor insists strongly",
        )
    assert exc.value.reason == "workload_cap"
    assert "limit is 1 at a time" in exc.value.message
    with pytest.raises(PolicyViolationError):
        decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR),
            application.id,
            "accept",
            by_advisor=True,
            override_reason="short",
        )
    decide_application(
        Actor(school.tenant_id, ADVISOR_ACTOR),
        application.id,
        "accept",
        by_advisor=True,
        override_reason="Final term; the seminar allows two.",
    )
    engagement = db.session.scalar(
        select(Engagement).where(Engagement.application_id == application.id)
    )
    assert engagement.cap_override_reason == "Final term; the seminar allows two."
    assert "engagement.cap_override" in audit_actions(school.tenant_id)


def test_weekly_hours_cap(school, seed_listing, setup):
    _, student, _, _, _ = setup
    heavy = add_listing(
        school.tenant_id,
        estimated_hours=40,
        title="Heavy week",
        pay_amount_cents=100000,
        work_start=dt.date.today() + dt.timedelta(days=31),
        work_end=dt.date.today() + dt.timedelta(days=37),
    )
    with pytest.raises(PolicyViolationError) as exc:
        accept(student, heavy)
    assert exc.value.reason == "workload_cap"
    assert "limit is 15 hours a week" in exc.value.message


def test_planned_weekly_hours_spreads_the_estimate(school, seed_listing, setup):
    _, _, _, _, listing_id = setup
    from internships.models import Listing

    listing = db.session.get(Listing, listing_id)
    assert planned_weekly_hours(listing) == 5  # 20 hours, no window: four weeks
    listing.work_start, listing.work_end = dt.date(2026, 1, 1), dt.date(2026, 1, 14)
    assert planned_weekly_hours(listing) == 10


def test_notifications_are_the_students_own_and_can_be_marked_read(setup):
    school, student, other, _, listing_id = setup
    application = apply(student, listing_id)
    decide_application(
        Actor(school.tenant_id, ADVISOR_ACTOR), application.id, "shortlist", by_advisor=True
    )
    assert unread_notifications(other) == []
    assert len(unread_notifications(student)) == 1
    assert mark_notifications_read(student) == 1
    assert unread_notifications(student) == []
    assert (
        db.session.scalar(
            select(Notification.read_at).where(Notification.user_id == student.user_id)
        )
        is not None
    )
    assert db.session.get(Application, application.id).status == "shortlisted"
