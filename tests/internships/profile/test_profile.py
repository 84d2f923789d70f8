"""The student profile through real launches: saving, validation with input kept, CSRF,
roles, and tenancy (the page only ever shows the launch user's own profile)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from internships.profile.models import StudentProfile
from internships.profile.services import ProfileInput, ProfileInvalidError, save_profile
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import csrf_token


def _form(lid: str, token: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "lid": lid,
        "csrf_token": token,
        "program": "Marine Biology",
        "class_year": "Third year",
        "expected_graduation": "2028-05-15",
        "work_authorization": "US citizen/permanent resident",
        "skills": ["sql", "spreadsheet-software"],
        "interests": "Public health data and survey design",
        "career_goals": "Become a data analyst",
        "weekly_availability_hours": "10",
    }
    data.update(overrides)
    return data


def _profiles(tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count(StudentProfile.id)).where(StudentProfile.tenant_id == tenant_id)
    )


def test_student_saves_profile_and_sees_it_again(app, school):
    person = school.person("student")
    page = person.client.get(f"/profile/?lid={person.lid}")
    assert page.status_code == 200
    resp = person.client.post("/profile/", data=_form(person.lid, csrf_token(page)))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    again = person.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your profile is saved." in again
    assert 'value="Marine Biology"' in again
    assert re.search(r'value="sql" id="skills-\d+" checked>', again)
    with app.app_context():
        profile = db.session.scalar(
            select(StudentProfile).where(StudentProfile.tenant_id == school.tenant_id)
        )
        assert profile is not None
        assert profile.user_id == person.ctx().user_id
        assert (profile.class_year, profile.weekly_availability_hours) == ("Third year", 10)
        assert profile.expected_graduation == dt.date(2028, 5, 15)
        assert profile.skills == ["sql", "spreadsheet-software"]
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.tenant_id == school.tenant_id)
        ).all()
        assert "profile.create" in actions


def test_bad_class_year_and_hours_re_render_with_messages_and_nothing_saved(app, school):
    person = school.person("student")
    token = csrf_token(person.client.get(f"/profile/?lid={person.lid}"))
    resp = person.client.post(
        "/profile/",
        data=_form(
            person.lid,
            token,
            class_year="Tenth year",
            weekly_availability_hours="41",
            program="Kept Program Name",
        ),
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Choose one of the options offered." in page
    assert "Number must be between 0 and 40." in page
    assert 'value="Kept Program Name"' in page  # input kept
    negative = person.client.post(
        "/profile/", data=_form(person.lid, token, weekly_availability_hours="-1")
    )
    assert negative.status_code == 422
    with app.app_context():
        assert _profiles(school.tenant_id) == 0


def test_service_refuses_bad_values(app, school):
    person = school.person("student")
    with app.app_context():
        ctx = person.ctx()
        for data, field in (
            (ProfileInput(class_year="Tenth year"), "class_year"),
            (ProfileInput(weekly_availability_hours=41), "weekly_availability_hours"),
            (ProfileInput(skills=["not-a-skill"]), "skills"),
            (ProfileInput(work_authorization="Alien"), "work_authorization"),
        ):
            with pytest.raises(ProfileInvalidError) as exc:
                save_profile(ctx, data)
            assert exc.value.field == field
        assert _profiles(school.tenant_id) == 0
        save_profile(ctx, ProfileInput(weekly_availability_hours=40))  # positive control
        assert _profiles(school.tenant_id) == 1
        db.session.rollback()


def test_post_without_csrf_is_refused(app, school):
    person = school.person("student")
    person.client.get(f"/profile/?lid={person.lid}")
    resp = person.client.post("/profile/", data=_form(person.lid, "not-a-token"))
    assert resp.status_code == 400
    missing = _form(person.lid, "")
    del missing["csrf_token"]
    assert person.client.post("/profile/", data=missing).status_code == 400
    with app.app_context():
        assert _profiles(school.tenant_id) == 0


def test_a_student_only_ever_sees_their_own_profile(app, school, make_platform, driver):
    alice = school.person("student")
    bob = school.person("student")
    token = csrf_token(alice.client.get(f"/profile/?lid={alice.lid}"))
    saved = alice.client.post(
        "/profile/", data=_form(alice.lid, token, interests="Alice private interest zebra")
    )
    assert saved.status_code == 303
    own = alice.client.get(f"/profile/?lid={alice.lid}").get_data(as_text=True)
    assert "Alice private interest zebra" in own  # positive control
    theirs = bob.client.get(f"/profile/?lid={bob.lid}").get_data(as_text=True)
    assert "Alice private interest zebra" not in theirs and "Marine Biology" not in theirs
    # Bob's save writes Bob's row, never Alice's.
    token_b = csrf_token(bob.client.get(f"/profile/?lid={bob.lid}"))
    bob.client.post("/profile/", data=_form(bob.lid, token_b, interests="Bob things"))
    assert "Alice private interest zebra" in alice.client.get(
        f"/profile/?lid={alice.lid}"
    ).get_data(as_text=True)
    with app.app_context():
        assert _profiles(school.tenant_id) == 2


def test_only_students_have_a_profile_page(school):
    for role in ("faculty", "advisor"):
        person = school.person(role)
        assert person.client.get(f"/profile/?lid={person.lid}").status_code == 403
        assert person.client.get(f"/profile/for-you?lid={person.lid}").status_code == 403
