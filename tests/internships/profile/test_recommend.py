""" "For you" through real launches: an empty profile still gets a list with reasons, skills
rank and are named, outcome gaps are named, and listings the student cannot take (closed,
expired, applied to, ineligible, over the workload caps) never appear."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select

from internships.models import Listing
from internships.profile.recommend import recommend
from internships.profile.services import ProfileInput, save_profile
from internships.work.models import Engagement
from internships.work.services import evaluations
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.internships.work.helpers import accept, apply


def titles(picks) -> list[str]:
    return [pick.listing.title for pick in picks]


def test_empty_profile_gets_open_listings_with_reasons(app, school, seed_listing):
    seed_listing(school.tenant_id, title="Survey clean-up")
    seed_listing(
        school.tenant_id,
        title="Hourly research help",
        compensation_type="hourly",
        pay_amount_cents=2200,
    )
    person = school.person("student")
    with app.app_context():
        picks = recommend(person.ctx())
        assert sorted(titles(picks)) == ["Hourly research help", "Survey clean-up"]
        reasons = {pick.listing.title: pick.reasons for pick in picks}
        assert "Open now and paid $25/h" in reasons["Survey clean-up"]
        assert "Open now and paid $22/h" in reasons["Hourly research help"]
        assert all(pick.reasons for pick in picks)
    page = person.client.get(f"/profile/for-you?lid={person.lid}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Survey clean-up" in text and "Open now and paid $22/h" in text
    assert f"/internships/{picks[0].listing.id}?lid={person.lid}" in text
    assert "Fill in your profile" in text


def test_skill_overlap_ranks_first_and_says_so(app, school, seed_listing):
    seed_listing(school.tenant_id, title="Brand video", skills=["python-programming"])
    seed_listing(
        school.tenant_id,
        title="Sales dashboard",
        skills=["sql", "spreadsheet-software"],
        compensation_type="hourly",
        pay_amount_cents=1600,  # pays less than the other: skills must outweigh pay
    )
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        save_profile(
            ctx,
            ProfileInput(skills=["sql", "spreadsheet-software"], weekly_availability_hours=10),
        )
        db.session.commit()
        picks = recommend(ctx)
        assert titles(picks)[0] == "Sales dashboard"
        assert picks[0].reasons[0] == "Uses your SQL and Spreadsheet software (Excel)"
        assert "Fits your 10 h a week (about 5 h a week)" in picks[0].reasons
        assert picks[0].score > picks[1].score
    page = person.client.get(f"/profile/for-you?lid={person.lid}").get_data(as_text=True)
    assert "Uses your SQL and Spreadsheet software (Excel)" in page
    assert "Edit your profile" in page


def test_interests_and_goals_match_listing_text(app, school, seed_listing):
    seed_listing(school.tenant_id, title="Warehouse stock count", summary="Count boxes.")
    seed_listing(
        school.tenant_id,
        title="Public health survey analysis",
        summary="Analyse vaccination survey responses for a clinic.",
    )
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        save_profile(
            ctx, ProfileInput(interests="public health", career_goals="vaccination research")
        )
        picks = recommend(ctx)
        assert titles(picks)[0] == "Public health survey analysis"
        assert any(r.startswith("Matches your interests and goals") for r in picks[0].reasons)
        db.session.rollback()


def test_listings_the_student_cannot_take_never_appear(app, school, seed_listing):
    ok = seed_listing(school.tenant_id, title="Takeable listing")
    closed = seed_listing(school.tenant_id, title="Closed listing")
    expired = seed_listing(school.tenant_id, title="Expired listing")
    applied = seed_listing(school.tenant_id, title="Applied listing")
    seed_listing(school.tenant_id, title="Nursing only", programs=["Nursing"])
    seed_listing(school.tenant_id, title="Graduates only", class_years=["Graduate"])
    seed_listing(
        school.tenant_id, title="Needs authorisation", work_authorization="US work authorisation"
    )
    other_school_listing = seed_listing(school.tenant_id, title="Draft listing", employer="Drafty")
    person = school.person("student")
    with app.app_context():
        db.session.get(Listing, closed).status = "closed"
        db.session.get(Listing, expired).application_deadline = dt.date.today() - dt.timedelta(
            days=3
        )
        db.session.get(Listing, other_school_listing).status = "draft"
        ctx = person.ctx()
        apply(ctx, applied)
        save_profile(
            ctx,
            ProfileInput(
                program="Economics",
                class_year="Second year",
                work_authorization="F-1 (CPT needed for credit-bearing off-campus work)",
            ),
        )
        db.session.commit()
        picks = recommend(ctx)
        assert titles(picks) == ["Takeable listing"]
        assert picks[0].listing.id == ok
        # the same student, now eligible for the restricted ones, sees them (positive control)
        save_profile(
            ctx,
            ProfileInput(
                program="Nursing",
                class_year="Graduate",
                work_authorization="US citizen/permanent resident",
            ),
        )
        assert sorted(titles(recommend(ctx))) == [
            "Graduates only",
            "Needs authorisation",
            "Nursing only",
            "Takeable listing",
        ]
        db.session.rollback()


def test_another_tenants_listings_never_appear(app, school, make_platform, seed_listing):
    other = make_platform()
    seed_listing(other.tenant_id, title="Their listing")
    seed_listing(school.tenant_id, title="Our listing")
    person = school.person("student")
    with app.app_context():
        assert titles(recommend(person.ctx())) == ["Our listing"]


def test_student_at_the_engagement_cap_gets_nothing(app, school, seed_listing):
    first = seed_listing(school.tenant_id, title="First job")
    second = seed_listing(school.tenant_id, title="Second job")
    seed_listing(school.tenant_id, title="Third job")
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        accept(ctx, first)
        assert sorted(titles(recommend(ctx))) == ["Second job", "Third job"]
        accept(ctx, second)
        db.session.commit()
        assert recommend(ctx) == []
    page = person.client.get(f"/profile/for-you?lid={person.lid}").get_data(as_text=True)
    assert "Nothing to suggest right now" in page
    assert "Third job" not in page


def test_listing_over_the_weekly_hours_cap_is_left_out(app, school, seed_listing):
    busy = seed_listing(
        school.tenant_id, title="Busy job", estimated_hours=40, pay_amount_cents=80000
    )  # 10 h/week
    seed_listing(
        school.tenant_id, title="Too big", estimated_hours=40, pay_amount_cents=80000
    )  # 10 more: 20 > 15
    seed_listing(school.tenant_id, title="Small enough", estimated_hours=20)  # 5 more: 15
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        accept(ctx, busy)
        assert titles(recommend(ctx)) == ["Small enough"]
        db.session.rollback()


def test_outcome_gap_gives_a_builds_reason(app, school, seed_listing):
    done = seed_listing(
        school.tenant_id, title="Past job", competencies=["Teamwork", "Communication"]
    )
    seed_listing(school.tenant_id, title="More teamwork", competencies=["Teamwork"])
    seed_listing(school.tenant_id, title="Practise speaking", competencies=["Communication"])
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        engagement = accept(ctx, done)
        evaluations.submit_evaluation(
            Actor(ctx.tenant_id, "Sam"),
            engagement.id,
            "Sam Supervisor",
            {"Teamwork": (3, "Early Application"), "Communication": (1, "")},
            "",
        )
        engagement = db.session.scalar(select(Engagement).where(Engagement.id == engagement.id))
        engagement.status = "completed"
        picks = recommend(ctx)
        by_title = {pick.listing.title: pick for pick in picks}
        assert titles(picks)[0] == "Practise speaking"
        assert "Builds Communication, which you have not shown yet" in (
            by_title["Practise speaking"].reasons
        )
        assert not any("Teamwork" in r for r in by_title["More teamwork"].reasons)
        db.session.rollback()


def _statements(app, fn) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_query_count_does_not_grow_with_listings(app, school, seed_listing):
    person = school.person("student")
    seed_listing(school.tenant_id, title="One", skills=["sql"], competencies=["Teamwork"])
    with app.app_context():
        ctx = person.ctx()
        save_profile(ctx, ProfileInput(skills=["sql"], interests="data"))
        db.session.commit()
        few = _statements(app, lambda: recommend(ctx))
    for n in range(8):
        seed_listing(school.tenant_id, title=f"More {n}", skills=["sql"], employer=f"Emp {n}")
    with app.app_context():
        picks: list[object] = []
        many = _statements(app, lambda: picks.extend(recommend(ctx)))
        assert len(picks) == 9
        assert many == few
