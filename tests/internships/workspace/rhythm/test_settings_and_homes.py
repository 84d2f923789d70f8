"""The reminder settings page (advisors, reached from their home), its validation, its effect
on the tick and on the at-risk flag; the student's workload this week on their home."""

from __future__ import annotations

from sqlalchemy import select

from internships.work.models import Engagement
from internships.workspace.rhythm.models import Reminder
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Tenant
from tests.helpers import csrf_token, reason
from tests.internships.work.helpers import engaged

from .helpers import days_ago, set_engagement, tick

SETTINGS = "/workspace/rhythm/settings"


def _form(advisor, **values):
    page = advisor.client.get(f"{SETTINGS}?lid={advisor.lid}")
    data = {
        "form": "settings",
        "lid": advisor.lid,
        "csrf_token": csrf_token(page),
        "reminders": "y",
        "agreement_days": "3",
        "hours_days": "5",
        "no_activity_days": "10",
    }
    data.update(values)
    return advisor.client.post(
        f"{SETTINGS}?lid={advisor.lid}", data={k: v for k, v in data.items() if v is not None}
    )


def _stored(app, tenant_id: int):
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        assert tenant is not None
        return (tenant.settings or {}).get("rhythm")


def test_the_advisor_reaches_the_settings_from_home_and_saves_them(app, world):
    advisor = world["advisor"]
    home = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    assert "Check-ins and reminders" in home and SETTINGS in home
    resp = _form(advisor, agreement_days="4", no_activity_days="21")
    assert resp.status_code == 303
    assert "Reminder settings saved." in advisor.client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    assert _stored(app, world["school"].tenant_id) == {
        "reminders": True,
        "agreement_days": 4,
        "hours_days": 5,
        "no_activity_days": 21,
    }
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.tenant_id == world["school"].tenant_id)
        ).all()
    assert "workspace.reminder_settings" in actions


def test_bad_settings_are_refused_and_nothing_is_saved(app, world):
    advisor = world["advisor"]
    resp = _form(advisor, agreement_days="0", hours_days="many")
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "The settings were not saved." in text and "Use a number from 1 to 60." in text
    assert _stored(app, world["school"].tenant_id) is None
    page = advisor.client.get(f"{SETTINGS}?lid={advisor.lid}")
    no_token = advisor.client.post(
        f"{SETTINGS}?lid={advisor.lid}",
        data={"form": "settings", "lid": advisor.lid, "agreement_days": "5"},
    )
    assert page.status_code == 200 and no_token.status_code == 400
    assert _stored(app, world["school"].tenant_id) is None


def test_students_and_instructors_may_not_change_the_settings(world):
    for who in ("student", "faculty"):
        person = world[who]
        resp = person.client.get(f"{SETTINGS}?lid={person.lid}")
        assert resp.status_code == 403 and reason(resp) == "role"


def test_reminders_turned_off_send_nothing(app, world):
    advisor = world["advisor"]
    assert _form(advisor, reminders=None).status_code == 303
    engagement_id = engaged(app, world, ready=False)
    set_engagement(app, engagement_id, created_at=days_ago(10))
    tick(app)
    with app.app_context():
        assert (
            db.session.scalars(
                select(Reminder.id).where(Reminder.engagement_id == engagement_id)
            ).all()
            == []
        )


def test_the_no_activity_setting_is_the_at_risk_threshold(app, world):
    advisor = world["advisor"]
    engagement_id = engaged(app, world)
    set_engagement(app, engagement_id, created_at=days_ago(8), start_date=None)
    url = f"/reports/students?lid={advisor.lid}&risk=no_activity"
    tick(app)  # the job runner finds the quiet engagements
    assert "1 engagement" not in advisor.client.get(url).get_data(as_text=True)
    assert _form(advisor, no_activity_days="5").status_code == 303
    tick(app)
    text = advisor.client.get(url).get_data(as_text=True)
    assert "Students at risk: No activity on the project recently" in text
    assert "1 engagement" in text
    # the at-risk thresholds page keeps the workspace's number when it saves its own
    from accreditation.reports.services.risk import tenant_thresholds

    with app.app_context():
        assert tenant_thresholds(world["school"].tenant_id).no_activity_days == 5


def test_the_student_home_shows_this_weeks_planned_hours_against_the_cap(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        weekly = engagement.weekly_hours
    student = world["student"]
    text = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "Your workload this week" in text
    assert f"{weekly} of at most 15 hours a week" in text
    assert f"Room for about {15 - weekly} more hours a week" in text
    other = world["other"]
    text = other.client.get(f"/home/student?lid={other.lid}").get_data(as_text=True)
    assert "0 of at most 15 hours a week" in text


def test_the_apply_page_shows_the_workload_with_the_listing(app, world, seed_listing):
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        weekly = engagement.weekly_hours
    listing = seed_listing(world["school"].tenant_id, employer="Beta Labs")
    with app.app_context():
        from internships.models import Listing
        from internships.work.services.workload import planned_weekly_hours

        row = db.session.get(Listing, listing)
        assert row is not None
        adds = planned_weekly_hours(row)
    student = world["student"]
    resp = student.client.get(f"/work/apply/{listing}?lid={student.lid}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text[-3000:]
    assert 'id="apply-workload"' in text, text[text.find("<main") :][:3000]
    assert f"your engagements plan {weekly} hours this week" in text
    assert f"this listing plans about {adds} hours a week, {weekly + adds} in all" in text
    assert "at most 15 hours a week" in text
