"""Fixtures for credit (the school is tests/conftest.py's): a factory
that gives a student finished work (an accepted application, confirmed hours, agreement,
reflection and supervisor evaluation) through the work services where they exist."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from internships.work.models import (
    CompetencyRating,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from internships.work.services.engagements import acknowledge_agreement
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import User
from tests.internships.work.helpers import accept, add_listing


def give_work(
    student: LaunchContext,
    *,
    hours: float = 45,
    status: str = "completed",
    agreement: bool = True,
    reflection: bool = True,
    evaluation: bool = True,
    level: int | None = 3,
    pending_hours: float = 0,
    start: dt.date | None = None,
    employer: str = "Acme Analytics",
) -> Engagement:
    """Finished work for ``student`` in their launch's course (flushed, not committed).
    Hours are spread over days of at most 8 hours, starting ``start``."""
    listing_id = add_listing(
        student.tenant_id, employer=employer, title=f"Project {secrets.token_hex(2)}"
    )
    engagement = accept(student, listing_id)
    if agreement:
        acknowledge_agreement(student, engagement.id)
    day = start or dt.date(2026, 9, 1)
    for minutes_left, state in (
        (round(hours * 60), "confirmed"),
        (round(pending_hours * 60), "pending"),
    ):
        n = 0
        while minutes_left > 0:
            chunk = min(minutes_left, 480)
            db.session.add(
                HourLog(
                    tenant_id=student.tenant_id,
                    engagement_id=engagement.id,
                    student_id=student.user_id,
                    work_date=day + dt.timedelta(days=n),
                    minutes=chunk,
                    description=f"{state} work {n} {secrets.token_hex(2)}",
                    status=state,
                )
            )
            minutes_left -= chunk
            n += 1
        day += dt.timedelta(days=n)
    if reflection:
        db.session.add(
            Reflection(
                tenant_id=student.tenant_id,
                engagement_id=engagement.id,
                answers={"what_did_you_learn": "How to clean survey data."},
                submitted_at=dt.datetime(2026, 10, 1),
            )
        )
    if evaluation:
        ev = SupervisorEvaluation(
            tenant_id=student.tenant_id,
            engagement_id=engagement.id,
            supervisor_name="Sam Supervisor",
            comments="Reliable and curious.",
        )
        db.session.add(ev)
        db.session.flush()
        for competency in ("Communication", "Teamwork"):
            db.session.add(
                CompetencyRating(
                    tenant_id=student.tenant_id,
                    evaluation_id=ev.id,
                    competency=competency,
                    level=level,
                )
            )
    engagement.status = status
    db.session.flush()
    return engagement


def user(user_id: int) -> User:
    u = db.session.get(User, user_id)
    assert u is not None
    return u


@pytest.fixture(autouse=True)
def _forget_queued_scores(app):
    """Scores these tests queue for made-up gradebooks are not left for other tests' drains."""
    yield
    from lti_tool.jobs import OutboxMessage

    with app.app_context():
        db.session.execute(
            OutboxMessage.__table__.delete().where(OutboxMessage.source.like("credit_award:%"))
        )
        db.session.commit()
