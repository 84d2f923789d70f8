"""A school for the advisor-report tests: its own tenant and platform, people who arrive by
real signed launches, and work built through the services (applications accepted by an
advisor, hours, a supervisor evaluation), with dates moved so each at-risk rule has a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from internships.profile.models import StudentProfile
from internships.work.models import Engagement, HourLog
from internships.work.services.evaluations import submit_evaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Course, User
from tests.internships.work.helpers import ADVISOR_ACTOR, accept

TODAY = dt.date.today()


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def ago(days: int) -> dt.datetime:
    return dt.datetime.now() - dt.timedelta(days=days)


@dataclass
class World:
    school: Any
    advisor: Any
    faculty: Any
    amara: Any  # inactive and behind plan (e_amara)
    ben: Any  # evaluation overdue (e_ben_late), lowest rating (e_ben_low), healthy (e_ben_ok)
    chloe: Any  # accepted 10 days ago, agreement not acknowledged (e_chloe)
    ids: dict[str, int]

    @property
    def tenant_id(self) -> int:
        return self.school.tenant_id


def user_id(sub: str) -> int:
    found = db.session.scalar(select(User.id).where(User.sub == sub))
    assert found is not None
    return int(found)


def log(engagement: Engagement, day: dt.date, minutes: int, status: str = "confirmed") -> None:
    db.session.add(
        HourLog(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement.id,
            student_id=engagement.student_id,
            work_date=day,
            minutes=minutes,
            description=f"Work on {day}",
            status=status,
        )
    )


@pytest.fixture
def world(app, school, seed_listing) -> World:
    advisor = school.person("advisor")
    faculty = school.person("faculty")
    amara, ben, chloe = (school.person("student") for _ in range(3))
    acme = seed_listing(
        school.tenant_id,
        title="Market research sprint",
        competencies=["Teamwork", "Communication"],
        estimated_hours=20,
        openings=3,
    )
    beta = seed_listing(
        school.tenant_id,
        employer="Beta Labs",
        title='=HYPERLINK("http://evil.example")',
        competencies=["Teamwork"],
        estimated_hours=10,
        openings=3,
        compensation_type="hourly",
        pay_amount_cents=2000,
    )
    with app.app_context():
        tenant_id = school.tenant_id
        course = db.session.scalar(
            select(Course).where(Course.tenant_id == tenant_id, Course.context_id == "course-1")
        )
        assert course is not None
        course.term_name, course.term_start, course.term_end = (
            "Fall term",
            (day(-60)).isoformat(),
            (day(60)).isoformat(),
        )
        a_ctx, b_ctx, c_ctx = amara.ctx(), ben.ctx(), chloe.ctx()
        db.session.add(
            StudentProfile(tenant_id=tenant_id, user_id=a_ctx.user_id, program="Economics BA")
        )
        db.session.add(
            StudentProfile(tenant_id=tenant_id, user_id=b_ctx.user_id, program="Computer Science")
        )
        names = ((a_ctx, "Amara Okafor"), (b_ctx, "Benjamin Tran"), (c_ctx, "Chloé Martin"))
        for ctx, name in names:
            db.session.get(User, ctx.user_id).name = name
        e_amara = accept(a_ctx, acme)
        e_amara.start_date, e_amara.end_date = day(-40), day(7)
        e_amara.acknowledged_at = ago(39)
        log(e_amara, day(-20), 120)

        e_ben_late = accept(b_ctx, beta)
        e_ben_late.start_date, e_ben_late.end_date = day(-40), day(-10)
        e_ben_late.acknowledged_at = ago(39)
        e_ben_late.status = "submitted"
        log(e_ben_late, day(-12), 600)

        e_ben_low = accept(b_ctx, acme, override_reason="Second project approved by the advisor.")
        e_ben_low.start_date, e_ben_low.end_date = day(-30), day(-2)
        e_ben_low.acknowledged_at = ago(29)
        e_ben_low.status = "submitted"
        e_ben_low.supervisor_name = "Sam Supervisor"
        log(e_ben_low, day(-3), 1200)
        log(e_ben_low, day(-2), 60, status="pending")
        db.session.flush()
        submit_evaluation(
            Actor(tenant_id, ADVISOR_ACTOR),
            e_ben_low.id,
            "Sam Supervisor",
            {"Teamwork": (1, "Missed two stand-ups."), "Communication": (3, "")},
            "Strong analysis; needs to show up for the team.",
        )

        e_chloe = accept(c_ctx, acme)
        e_chloe.created_at = ago(10)
        e_chloe.start_date = day(3)
        e_chloe.end_date = day(60)
        db.session.commit()
        ids = {
            "acme": acme,
            "beta": beta,
            "course": course.id,
            "amara": a_ctx.user_id,
            "ben": b_ctx.user_id,
            "chloe": c_ctx.user_id,
            "e_amara": e_amara.id,
            "e_ben_late": e_ben_late.id,
            "e_ben_low": e_ben_low.id,
            "e_chloe": e_chloe.id,
        }
    return World(school, advisor, faculty, amara, ben, chloe, ids)
