"""Shortcuts the work tests share: a CV and a statement, apply, accept, add a listing, and
read the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from internships.work.models import Application, Engagement
from internships.work.services.applications import (
    ApplicationInput,
    apply_to_listing,
    decide_application,
)
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import AuditEntry

ADVISOR_ACTOR = "Ada Advisor <ada@example.edu> (user 0)"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 3 >>\n"
    b"startxref\n9\n%%EOF\n"
)
STATEMENT = "I have run two survey projects for student societies and enjoy careful analysis."


def application_input(**overrides: Any) -> ApplicationInput:
    values: dict[str, Any] = {
        "statement": STATEMENT,
        "availability": "Weekday evenings, about 8 hours a week",
        "consent": True,
        "resume": PDF,
        "resume_filename": "cv.pdf",
    }
    values.update(overrides)
    return ApplicationInput(**values)


def apply(ctx: LaunchContext, listing_id: int, **overrides: Any) -> Application:
    return apply_to_listing(ctx, listing_id, application_input(**overrides))


def accept(ctx: LaunchContext, listing_id: int, **kw: Any) -> Engagement:
    application = apply(ctx, listing_id)
    decide_application(
        Actor(ctx.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True, **kw
    )
    engagement = db.session.scalar(
        select(Engagement).where(Engagement.application_id == application.id)
    )
    assert engagement is not None
    return engagement


def audit_actions(tenant_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.id)
        )
    )


def add_listing(tenant_id: int, *, employer: str = "Acme Analytics", **overrides: Any) -> int:
    """An open listing in the current session (flushed, not committed)."""
    import datetime as dt

    from internships.services.listings import create_listing, ensure_employer
    from tests.internships.conftest import ACTOR, listing_input

    overrides.setdefault("application_deadline", dt.date.today() + dt.timedelta(days=30))
    emp = ensure_employer(
        Actor(tenant_id, ACTOR),
        employer,
        contact_name="Sam Supervisor",
        contact_email="sam@acme.example",
    )
    listing = create_listing(
        Actor(tenant_id, ACTOR), listing_input(emp.id, **overrides), submit=True
    )
    return int(listing.id)
