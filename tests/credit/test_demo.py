"""The demo credit data for ``make run``: policies that make the finished demo engagements
ready for review, and a request for changes, loaded idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from credit.demo import seed_credit
from credit.models import CreditDecision
from internships.demo import seed_listings, seed_work
from internships.work.models import EngagementReopening
from lti_tool.extensions import db
from lti_tool.models import Tenant


def test_demo_credit_has_students_ready_and_one_request_for_changes(app):
    with app.app_context():
        tenant = Tenant(name="Credit demo university")
        db.session.add(tenant)
        db.session.flush()
        seed_listings(tenant.id)
        seed_work(tenant.id)
        first = seed_credit(tenant.id)
        second = seed_credit(tenant.id)
        db.session.commit()
        assert first == second >= 2
        asked = db.session.scalar(
            select(func.count())
            .select_from(CreditDecision)
            .where(CreditDecision.tenant_id == tenant.id)
        )
        assert asked == 1
        # the request reopens what it asks about: the student's reflection, and only that
        request_id = db.session.scalar(
            select(CreditDecision.id).where(CreditDecision.tenant_id == tenant.id)
        )
        kinds = db.session.scalars(
            select(EngagementReopening.kind).where(
                EngagementReopening.tenant_id == tenant.id,
                EngagementReopening.request_id == request_id,
            )
        ).all()
        assert kinds == ["reflection"]
