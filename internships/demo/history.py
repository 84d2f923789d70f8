"""The demo's earlier terms: offerings of the sandbox courses in Fall 2025 and Spring 2026 (as
their launches made them) with completed engagements, evaluated by supervisors at levels that
rise from term to term, so the attainment trend has terms to compare. Made through the same
work services as this term's (``work._run_step``), dated in their term; the supervisors'
ratings become outcome evidence as every evaluation does (the job runner's evidence sync, or
``flask evidence sync``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db

from .content import PlanStep
from .people import new_course

# (term, first day, last day, sandbox course, [(listing, student)]): every step completed.
PAST_TERMS: tuple[tuple[str, dt.date, dt.date, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Fall 2025",
        dt.date(2025, 8, 25),
        dt.date(2025, 12, 12),
        "bus-390",
        (
            ("d06", "emily-nguyen"),
            ("d11", "chloe-martin"),
            ("d14", "amara-okafor"),
            ("d27", "benjamin-tran"),
        ),
    ),
    (
        "Spring 2026",
        dt.date(2026, 1, 12),
        dt.date(2026, 5, 8),
        "cs-195",
        (
            ("d22", "diego-ramirez"),
            ("d21", "chloe-martin"),
            ("d19", "amara-okafor"),
            ("d17", "grace-kim"),
            ("d26", "benjamin-tran"),
        ),
    ),
)
# The supervisors' levels over each engagement's competencies, in order.
PAST_LEVELS = {
    "d06": (2, 3),
    "d11": (1, 2),
    "d14": (2, 1),
    "d27": (2, 2),
    "d22": (3, 2),
    "d21": (3,),
    "d19": (3,),
    "d17": (4, 3),
    "d26": (3,),
}

RunStep = Callable[[PlanStep, dt.date], None]


def course_key(course: str, term: str) -> str:
    """The key of an earlier offering among the demo's courses (``bus-390@Fall 2025``)."""
    return f"{course}@{term}"


def past_courses(tenant_id: int, issuer: str, users: dict[str, Any]) -> dict[str, Any]:
    """The earlier offerings, with their students enrolled, keyed by ``course_key``."""
    from lti_tool.models import Course, Enrolment
    from lti_tool.sandbox import seed

    titles = {key: (label, title) for key, label, title in seed.COURSES}
    out: dict[str, Any] = {}
    for term, start, end, key, steps in PAST_TERMS:
        context_id = seed.stable_id(f"course:{key}:{term}")
        course = db.session.scalar(
            select(Course).where(
                Course.tenant_id == tenant_id,
                Course.issuer == issuer,
                Course.context_id == context_id,
            )
        )
        if course is None:
            course = new_course(tenant_id, issuer, context_id, titles[key], (term, start, end))
            db.session.flush()
        for student in {s for _, s in steps}:
            user = users[student]
            if (
                db.session.scalar(
                    select(Enrolment.id).where(
                        Enrolment.course_id == course.id, Enrolment.user_id == user.id
                    )
                )
                is None
            ):
                db.session.add(
                    Enrolment(
                        tenant_id=tenant_id, course_id=course.id, user_id=user.id, role="student"
                    )
                )
        out[course_key(key, term)] = course
    db.session.flush()
    return out


def past_steps() -> list[tuple[PlanStep, dt.date]]:
    """Each earlier engagement as a plan step and the day it is run as of (ten days before
    its term's end, so its hours and evaluation fall in the term)."""
    return [
        (
            PlanStep(
                listing=listing, student=student, course=course_key(key, term), state="completed"
            ),
            end - dt.timedelta(days=10),
        )
        for term, _start, end, key, steps in PAST_TERMS
        for listing, student in steps
    ]
