"""The demo data: every status present, every listing as the services would make it, and a
second run changes nothing."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from internships.demo import LISTINGS, seed_listings
from internships.models import Employer, Listing
from internships.services.board import BoardQuery, search_board
from lti_tool.extensions import db
from tests.internships.conftest import TODAY


def test_seed_listings_is_idempotent_and_covers_every_status(tenant):
    assert seed_listings(tenant.id, today=TODAY) == len(LISTINGS) == 30
    assert seed_listings(tenant.id, today=TODAY) == 0
    listings = db.session.scalars(select(Listing).where(Listing.tenant_id == tenant.id)).all()
    statuses = Counter(listing.status for listing in listings)
    assert set(statuses) == {"draft", "pending_approval", "open", "filled", "closed", "expired"}
    assert statuses["pending_approval"] == 3
    employers = db.session.scalars(select(Employer).where(Employer.tenant_id == tenant.id))
    assert len(employers.all()) == 8
    board = search_board(tenant.id, BoardQuery(), TODAY, per_page=100)
    assert board.total == statuses["open"]
    unpaid_open = [row for row in board.listings if row.compensation_type == "unpaid"]
    assert len(unpaid_open) == 1  # the board's cards are columns: the listing has the rest
    assert db.session.get(Listing, unpaid_open[0].id).unpaid_justification


def test_seed_work_gives_every_state_to_the_sandbox_people(tenant):
    import datetime as dt

    from internships.demo import WORK_PLAN, seed_work
    from internships.profile.models import StudentProfile
    from internships.work.models import (
        Application,
        CptApproval,
        Deliverable,
        Engagement,
        HourLog,
        Reflection,
        SupervisorEvaluation,
    )
    from lti_tool.models import Course, Enrolment, User
    from lti_tool.sandbox.seed import stable_id

    today = dt.date.today()
    seed_listings(tenant.id, today=today)
    assert seed_work(tenant.id, today=today) == len(WORK_PLAN)
    assert seed_work(tenant.id, today=today) == 0  # idempotent

    def rows(model):
        return db.session.scalars(select(model).where(model.tenant_id == tenant.id)).all()

    # The tool-side rows a launch would upsert: same sub and context id as the sandbox sends.
    amara = db.session.scalar(
        select(User).where(
            User.tenant_id == tenant.id, User.sub == stable_id("person:amara-okafor")
        )
    )
    assert amara is not None and amara.name == "Amara Okafor"
    assert {c.label for c in rows(Course)} == {"BUS 390", "CS 195"}
    assert {e.role for e in rows(Enrolment)} == {"student", "faculty"}
    assert len(rows(StudentProfile)) == 6
    assert Counter(a.status for a in rows(Application)) == {
        "accepted": 5,
        "submitted": 2,
        "shortlisted": 1,
        "declined": 1,
        "withdrawn": 1,
    }
    engagements = rows(Engagement)
    assert Counter(e.status for e in engagements) == {
        "active": 1,
        "submitted": 2,
        "completed": 1,
        "cancelled": 1,
    }
    assert {h.status for h in rows(HourLog)} == {"pending", "confirmed", "queried"}
    assert all(d.url for d in rows(Deliverable))
    assert len(rows(Reflection)) == 4
    assert len(rows(SupervisorEvaluation)) == 3
    assert len(rows(CptApproval)) == 1  # Grace (F-1) was accepted under a recorded CPT
    assert all(e.course_id for e in engagements)


def test_demo_command_is_idempotent(app, runner):
    from lti_tool.models import Tenant

    with app.app_context():
        db.session.add(Tenant(name="Demo command school", settings={}))
        db.session.commit()
    args = ["internships", "demo", "--tenant", "Demo command school"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "(10 new demo applications)" in first.output
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "(0 new demo applications)" in again.output


def test_a_launch_of_a_sandbox_person_finds_the_demo_rows(app, make_platform, driver):
    """The demo's users and courses carry the sub and context id the sandbox LMS sends, so a
    launch upserts the same rows (no duplicate) and the student's home shows the demo work."""
    from internships.demo import seed_work
    from lti_tool.models import Course, User
    from lti_tool.sandbox.seed import stable_id

    platform = make_platform()
    with app.app_context():
        seed_listings(platform.tenant_id)
        seed_work(platform.tenant_id)
        db.session.commit()
    sub, context = stable_id("person:amara-okafor"), stable_id("course:bus-390")
    launched = driver(platform).launch(
        sub=sub, role="student", course=context, title="BUS 390 Internship Seminar"
    )
    home = launched.home.get_data(as_text=True)
    assert "Sales data analysis for a coffee roaster" in home
    with app.app_context():
        users = db.session.scalars(
            select(User).where(User.tenant_id == platform.tenant_id, User.sub == sub)
        ).all()
        courses = db.session.scalars(
            select(Course).where(
                Course.tenant_id == platform.tenant_id, Course.context_id == context
            )
        ).all()
        assert len(users) == 1 and len(courses) == 1
