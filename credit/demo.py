"""Demo credit data for ``make run``: the earlier terms' offerings of the sandbox courses with
their completed, evaluated engagements (``internships.demo.seed_history``: the history the
advisors' trend compares this term with), course policies for the sandbox courses so that the
finished demo engagements are ready for review, and one request for changes, so the roster,
the queue, the review page and the student's checklist all have something to show. Awards are
left to the person trying the tool: awarding through the review page sends the grade to the
sandbox gradebook."""

from __future__ import annotations

from sqlalchemy import select

from internships.demo import ensure_sandbox_people, seed_history
from internships.work.models import Engagement
from internships.work.services import reopenings
from lti_tool.extensions import db

from .models import CreditDecision
from .services.policy import get_policy
from .services.progress import course_progress

DEMO_ACTOR = "Career Credit demo"
# The demo engagements are short (about ten hours), as micro-internships often are.
POLICIES = {
    "bus-390": {"hours_per_credit": 8, "max_credits": 2, "grading_mode": "pass_fail"},
    "cs-195": {"hours_per_credit": 8, "max_credits": 1, "grading_mode": "percentage"},
}


def seed_credit(tenant_id: int) -> int:
    """The earlier terms, policies for the demo courses (left alone once someone changed them)
    and one request for changes; idempotent. Returns how many students are ready for review.
    Flushes."""
    seed_history(tenant_id)
    users, courses = ensure_sandbox_people(tenant_id)
    ready = 0
    for key, values in POLICIES.items():
        course = courses[key]
        policy = get_policy(tenant_id, course.id)
        if policy.updated_by in ("defaults", DEMO_ACTOR):
            for name, value in values.items():
                setattr(policy, name, value)
            policy.updated_by = DEMO_ACTOR
        db.session.flush()
    bus = courses["bus-390"]
    chloe = users["chloe-martin"]
    asked = db.session.scalar(
        select(CreditDecision.id).where(
            CreditDecision.course_id == bus.id, CreditDecision.student_id == chloe.id
        )
    )
    if asked is None:
        request = CreditDecision(
            tenant_id=tenant_id,
            course_id=bus.id,
            student_id=chloe.id,
            kind="changes_requested",
            message="Please add one paragraph to your reflection on what you would do "
            "differently next time.",
            decided_by=f"{users['priya-raman'].name} <{users['priya-raman'].email}> (demo)",
            decided_by_user_id=users["priya-raman"].id,
        )
        db.session.add(request)
        db.session.flush()
        # the request reopens what it asks about: Chloé's reflection on her BUS 390 work
        for engagement in db.session.scalars(
            select(Engagement).where(
                Engagement.tenant_id == tenant_id,
                Engagement.course_id == bus.id,
                Engagement.student_id == chloe.id,
                Engagement.status != "cancelled",
            )
        ):
            part = reopenings.Part(engagement.id, "reflection")
            reopenings.reopen(tenant_id, engagement, request.id, part)
    for key in POLICIES:
        rows = course_progress(tenant_id, courses[key].id)
        ready += sum(1 for p in rows if p.state in ("ready", "resubmitted"))
    return ready
