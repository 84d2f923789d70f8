"""Engagement services with contexts of real launches: the learning agreement, hour logs and
their rules (future dates in the tenant's zone, 12 hours a day, the weekly cap, duplicates),
reviews, deliverables, the reflection, the supervisor's evaluation, status, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest

from internships.work.models import Engagement
from internships.work.services import engagements as svc
from internships.work.services import evaluations, hour_reviews, hours
from internships.work.services.engagements import AgreementInput, EngagementInvalidError
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.notify.notifications import unread_notifications

from .helpers import PDF, accept, audit_actions, ready_to_log

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def setup(app, school, seed_listing):
    people = {
        "student": school.person("student"),
        "other": school.person("student"),
        "advisor": school.person("advisor"),
        "faculty": school.person("faculty"),
        "other_faculty": school.person("faculty", course="course-2"),
    }
    listing_id = seed_listing(school.tenant_id, competencies=["Teamwork", "Communication"])
    with app.app_context():
        ctx = {name: person.ctx() for name, person in people.items()}
        engagement = accept(ctx["student"], listing_id)
        yield ctx, engagement


def test_visibility_student_own_faculty_course_advisor_tenant(setup, make_platform, driver):
    ctx, engagement = setup
    assert svc.get_engagement(ctx["student"], engagement.id) is engagement  # positive controls
    assert svc.get_engagement(ctx["faculty"], engagement.id) is engagement
    assert svc.get_engagement(ctx["advisor"], engagement.id) is engagement
    for name in ("other", "other_faculty"):
        with pytest.raises(NotFoundError):
            svc.get_engagement(ctx[name], engagement.id)
        assert svc.list_engagements(ctx[name]) == []
    assert svc.list_engagements(ctx["faculty"]) == [engagement]


def test_agreement_update_needs_acknowledging_again(setup):
    ctx, engagement = setup
    svc.acknowledge_agreement(ctx["student"], engagement.id)
    assert engagement.acknowledged_at is not None
    svc.update_agreement(
        ctx["advisor"],
        engagement.id,
        AgreementInput(
            ["Technology"],
            30,
            "Sam Supervisor",
            "sam@acme.example",
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 31),
            "Ship the dashboard",
        ),
    )
    assert engagement.competencies == ["Technology"] and engagement.planned_hours == 30
    assert engagement.acknowledged_at is None
    assert "engagement.agreement" in audit_actions(engagement.tenant_id)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"competencies": ["Juggling"]}, "competencies"),
        ({"planned_hours": 0}, "planned_hours"),
        ({"supervisor_email": "not-an-email"}, "supervisor_email"),
        ({"end_date": dt.date(2026, 2, 1)}, "end_date"),
    ],
)
def test_agreement_validation(setup, change, field):
    ctx, engagement = setup
    values = {
        "competencies": ["Teamwork"],
        "planned_hours": 20,
        "supervisor_name": "Sam",
        "supervisor_email": "sam@acme.example",
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 3, 31),
    }
    values.update(change)
    with pytest.raises(EngagementInvalidError) as exc:
        svc.update_agreement(ctx["faculty"], engagement.id, AgreementInput(**values))
    assert exc.value.field == field


def test_students_do_not_edit_agreements(setup):
    ctx, engagement = setup
    with pytest.raises(ForbiddenError):
        svc.update_agreement(
            ctx["student"],
            engagement.id,
            AgreementInput(["Teamwork"], 20, "Sam", "s@x.org", None, None),
        )


def test_log_hours_in_quarter_hours(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    log = hours.log_hours(
        ctx["student"], engagement.id, MONDAY, "2.25", "Cleaned survey data", today=MONDAY
    )
    assert log.minutes == 135 and log.status == "pending"
    for bad in ("0", "-1", "1.1", "lots", "nan", "1E+999999", "25"):
        with pytest.raises(EngagementInvalidError):
            hours.log_hours(ctx["student"], engagement.id, MONDAY, bad, "x" * 10, today=MONDAY)


def test_no_future_dates_in_the_tenants_time_zone(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    tenant = db.session.get(Tenant, engagement.tenant_id)
    tenant.time_zone = "Pacific/Kiritimati"  # UTC+14: its today is often UTC's tomorrow
    db.session.flush()
    today_there = today_in("Pacific/Kiritimati")
    student = ctx["student"]
    from dataclasses import replace

    student = replace(student, time_zone="Pacific/Kiritimati")
    assert hours.log_hours(student, engagement.id, today_there, 1, "Kick-off call").minutes == 60
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(student, engagement.id, today_there + dt.timedelta(days=1), 1, "Tomorrow")
    assert exc.value.reason == "future_date"


def test_no_day_over_twelve_hours_and_no_duplicates(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    hours.log_hours(ctx["student"], engagement.id, MONDAY, 8, "Interviews", today=MONDAY)
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(ctx["student"], engagement.id, MONDAY, 4.25, "Report", today=MONDAY)
    assert exc.value.reason == "day_limit"
    hours.log_hours(ctx["student"], engagement.id, MONDAY, 4, "Report", today=MONDAY)
    sunday = MONDAY - dt.timedelta(days=1)
    hours.log_hours(ctx["student"], engagement.id, sunday, 1, "report ", today=MONDAY)
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(
            ctx["student"],
            engagement.id,
            MONDAY - dt.timedelta(days=1),
            1,
            "  REPORT",
            today=MONDAY,
        )
    assert exc.value.reason == "duplicate"


def test_weekly_cap_on_logged_hours(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    for day in range(3):
        hours.log_hours(
            ctx["student"],
            engagement.id,
            MONDAY + dt.timedelta(days=day),
            5,
            f"Day {day}",
            today=MONDAY + dt.timedelta(days=6),
        )
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(
            ctx["student"],
            engagement.id,
            MONDAY + dt.timedelta(days=3),
            1,
            "More",
            today=MONDAY + dt.timedelta(days=6),
        )
    assert exc.value.reason == "week_limit"
    next_monday = MONDAY + dt.timedelta(days=7)
    assert (
        hours.log_hours(
            ctx["student"], engagement.id, next_monday, 1, "More", today=next_monday
        ).minutes
        == 60
    )


def test_hours_only_after_the_acknowledgement_and_on_the_engagements_days(setup):
    ctx, engagement = setup
    student = ctx["student"]
    engagement.created_at = dt.datetime(2026, 2, 20, 12)  # accepted on 20 February
    db.session.flush()
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(student, engagement.id, MONDAY, 1, "Kick-off", today=MONDAY)
    assert exc.value.reason == "not_acknowledged"
    svc.acknowledge_agreement(student, engagement.id)
    assert hours.log_hours(student, engagement.id, MONDAY, 1, "Kick-off", today=MONDAY)
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(
            student, engagement.id, dt.date(2026, 2, 19), 1, "Before it began", today=MONDAY
        )
    assert exc.value.reason == "outside_engagement"
    assert "before the engagement's first day (20 February 2026)" in str(exc.value)
    # The agreed dates narrow it further: from the start, to the end.
    engagement.start_date, engagement.end_date = dt.date(2026, 2, 25), dt.date(2026, 3, 5)
    engagement.acknowledged_at = dt.datetime(2026, 2, 21)
    db.session.flush()
    for day in (dt.date(2026, 2, 24), dt.date(2026, 3, 6)):
        with pytest.raises(EngagementInvalidError) as exc:
            hours.log_hours(student, engagement.id, day, 1, "Outside", today=dt.date(2026, 3, 9))
        assert exc.value.reason == "outside_engagement"
    for day in (dt.date(2026, 2, 25), dt.date(2026, 3, 5)):
        hours.log_hours(student, engagement.id, day, 1, "Inside", today=dt.date(2026, 3, 9))


def test_only_the_student_logs_on_their_own_active_engagement(setup):
    ctx, engagement = setup
    with pytest.raises(NotFoundError):
        hours.log_hours(ctx["other"], engagement.id, MONDAY, 1, "Not mine", today=MONDAY)
    with pytest.raises(ForbiddenError):
        hours.log_hours(ctx["advisor"], engagement.id, MONDAY, 1, "Advisor", today=MONDAY)


def test_review_confirms_and_queries_with_notifications(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    a = hours.log_hours(ctx["student"], engagement.id, MONDAY, 2, "Survey", today=MONDAY)
    b = hours.log_hours(ctx["student"], engagement.id, MONDAY, 3, "Analysis", today=MONDAY)
    with pytest.raises(EngagementInvalidError):
        hour_reviews.review_hours(
            Actor(engagement.tenant_id, "Sam"),
            engagement.id,
            {b.id: ("query", "")},
            reviewer="supervisor",
        )
    counts = hour_reviews.review_hours(
        Actor(engagement.tenant_id, "Sam"),
        engagement.id,
        {a.id: ("confirm", ""), b.id: ("query", "We agreed on two hours")},
        reviewer="supervisor",
    )
    assert counts == {"confirmed": 1, "queried": 1}
    assert (a.status, b.status) == ("confirmed", "queried")
    kinds = {n.kind for n in unread_notifications(ctx["student"])}
    assert {"hours_confirmed", "hours_queried"} <= kinds
    summary = hours.hours_summary(engagement)
    assert summary["confirmed"] == 2 and summary["queried"] == 3


def test_deliverables_file_or_url_with_type_checks(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    pdf = svc.add_deliverable(
        ctx["student"], engagement.id, "Final report", data=PDF, filename="report.pdf"
    )
    assert pdf.content_type == "application/pdf" and pdf.file_path
    link = svc.add_deliverable(
        ctx["student"], engagement.id, "Dashboard", url="https://example.org/dash"
    )
    assert link.url == "https://example.org/dash"
    cases = [
        ({"data": b"MZ\x90\x00binary", "filename": "report.pdf"}, "file_type"),
        ({"data": b"<script>alert(1)</script>", "filename": "x.html"}, "file_type"),
        ({"url": "javascript:alert(1)"}, "invalid_url"),
        ({}, "file_or_url"),
        ({"url": "https://a.org", "data": PDF, "filename": "a.pdf"}, "file_or_url"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(EngagementInvalidError) as exc:
            svc.add_deliverable(ctx["student"], engagement.id, "Bad", **kwargs)
        assert exc.value.reason == reason
    assert [d.title for d in svc.deliverables(engagement)] == ["Final report", "Dashboard"]


def test_no_deliverable_or_reflection_before_the_agreement_is_acknowledged(setup):
    ctx, engagement = setup
    with pytest.raises(PolicyViolationError) as exc:
        svc.add_deliverable(ctx["student"], engagement.id, "Plan", url="https://example.org/p")
    assert exc.value.reason == "not_acknowledged"
    with pytest.raises(PolicyViolationError) as exc:
        svc.save_reflection(ctx["student"], engagement.id, {"what": "Early"}, submit=False)
    assert exc.value.reason == "not_acknowledged"
    svc.acknowledge_agreement(ctx["student"], engagement.id)
    assert svc.add_deliverable(ctx["student"], engagement.id, "Plan", url="https://example.org/p")


def test_reflection_draft_then_submit(setup):
    ctx, engagement = setup
    ready_to_log(ctx["student"], engagement)
    draft = svc.save_reflection(ctx["student"], engagement.id, {"what": "Started"}, submit=False)
    assert draft.submitted_at is None
    with pytest.raises(EngagementInvalidError) as exc:
        svc.save_reflection(ctx["student"], engagement.id, {"what": "Too short"}, submit=True)
    assert exc.value.reason == "reflection_short"
    answers = {key: f"A thoughtful answer about {key} " * 3 for key, _ in svc.REFLECTION_PROMPTS}
    done = svc.save_reflection(ctx["student"], engagement.id, answers, submit=True)
    assert done.submitted_at is not None
    with pytest.raises(PolicyViolationError):
        svc.save_reflection(ctx["student"], engagement.id, answers, submit=True)


def test_evaluation_rates_every_targeted_competency_once(setup):
    ctx, engagement = setup
    with pytest.raises(EngagementInvalidError) as exc:
        evaluations.submit_evaluation(
            Actor(engagement.tenant_id, "Sam"), engagement.id, "Sam", {"Teamwork": (3, "")}, ""
        )
    assert exc.value.reason == "rating_missing"
    evaluation = evaluations.submit_evaluation(
        Actor(engagement.tenant_id, "Sam"),
        engagement.id,
        "Sam Supervisor",
        {"Teamwork": (4, "Led the stand-ups"), "Communication": (None, "")},
        "Great work",
    )
    assert [(r.competency, r.level_name) for r in evaluation.ratings] == [
        ("Teamwork", "Advanced Application"),
        ("Communication", "Not applicable"),
    ]
    assert unread_notifications(ctx["student"])[0].kind == "evaluation_received"
    with pytest.raises(PolicyViolationError) as exc2:
        evaluations.submit_evaluation(
            Actor(engagement.tenant_id, "Sam"),
            engagement.id,
            "Sam",
            {"Teamwork": (1, ""), "Communication": (1, "")},
            "",
        )
    assert exc2.value.reason == "evaluated"


def test_status_flow_and_roles(setup):
    ctx, engagement = setup
    with pytest.raises(PolicyViolationError) as exc:
        svc.change_status(ctx["student"], engagement.id, "submit")
    assert exc.value.reason == "not_acknowledged"
    svc.acknowledge_agreement(ctx["student"], engagement.id)
    svc.change_status(ctx["student"], engagement.id, "submit")
    assert engagement.status == "submitted"
    with pytest.raises(ForbiddenError):
        svc.change_status(ctx["student"], engagement.id, "complete")
    with pytest.raises(ForbiddenError):
        svc.change_status(ctx["faculty"], engagement.id, "cancel")
    svc.change_status(ctx["faculty"], engagement.id, "complete")
    assert engagement.status == "completed"
    with pytest.raises(PolicyViolationError):
        svc.change_status(ctx["advisor"], engagement.id, "cancel")


def test_cancelled_engagements_free_the_workload(setup, school):
    ctx, engagement = setup
    svc.change_status(ctx["advisor"], engagement.id, "cancel")
    assert db.session.get(Engagement, engagement.id).status == "cancelled"
    from internships.work.services.workload import workload_problem

    db.session.get(Tenant, school.tenant_id).settings = {
        **db.session.get(Tenant, school.tenant_id).settings,
        "max_concurrent_engagements": 1,
    }
    assert workload_problem(school.tenant_id, ctx["student"].user_id, 1) is None


def test_supervisor_link_needs_an_email_and_is_not_sent_twice_for_an_evaluation(setup):
    _, engagement = setup
    urls = []
    token = evaluations.send_supervisor_link(
        Actor(engagement.tenant_id, "advisor"),
        engagement.id,
        "confirm_hours",
        lambda t: urls.append(t) or f"https://tool/supervisor/hours/{t}",
    )
    assert urls == [token]
    from lti_tool.notify.models import EmailMessage

    body = db.session.scalars(
        db.select(EmailMessage.body)
        .where(EmailMessage.to_address == "sam@acme.example")
        .order_by(EmailMessage.id.desc())
    ).first()
    assert f"https://tool/supervisor/hours/{token}" in body
    evaluations.submit_evaluation(
        Actor(engagement.tenant_id, "Sam"),
        engagement.id,
        "Sam",
        {"Teamwork": (2, ""), "Communication": (2, "")},
        "",
    )
    with pytest.raises(PolicyViolationError) as exc:
        evaluations.send_supervisor_link(
            Actor(engagement.tenant_id, "advisor"), engagement.id, "evaluate", str
        )
    assert exc.value.reason == "evaluated"
    engagement.supervisor_email = ""
    with pytest.raises(PolicyViolationError) as exc:
        evaluations.send_supervisor_link(
            Actor(engagement.tenant_id, "advisor"), engagement.id, "confirm_hours", str
        )
    assert exc.value.reason == "no_supervisor"
