"""Fixtures for applications and engagements: a school (its own tenant and platform) with
people who arrive by real signed launches, committed listings, and helpers that turn a launch
id into the launch context the services take."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from internships.services.listings import create_listing, ensure_employer
from lti_tool.auth import load_launch
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from tests.internships.conftest import ACTOR, listing_input

ADVISOR_RULE = {
    "advisor_claim": {"name": "career_credit_role", "value": "advisor"},
    "career_center_email": "careers@example.edu",
}
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 3 >>\n"
    b"startxref\n9\n%%EOF\n"
)
STATEMENT = "I have run two survey projects for student societies and enjoy careful analysis."


@dataclass
class Person:
    client: Any
    lid: str
    sub: str

    def ctx(self) -> LaunchContext:
        """The launch context, as the views get it (call inside an app context)."""
        ctx = load_launch(self.lid)
        assert ctx is not None
        return ctx


@dataclass
class School:
    platform: Any
    driver: Any

    @property
    def tenant_id(self) -> int:
        return int(self.platform.tenant_id)

    def person(self, role: str, sub: str | None = None, course: str = "course-1") -> Person:
        lti = self.driver(self.platform)
        sub = sub or f"{role}-{secrets.token_hex(3)}"
        custom = {}
        launch_role = role
        if role == "advisor":
            custom, launch_role = {"career_credit_role": "advisor"}, "faculty"
        launched = lti.launch(
            sub=sub,
            role=launch_role,
            course=None if role == "advisor" else course,  # the rule is account-level
            custom=custom,
            follow=False,
        )
        return Person(lti.client, launched.lid, sub)


@pytest.fixture
def school(make_platform, driver) -> School:
    return School(make_platform(tenant_settings=ADVISOR_RULE), driver)


@pytest.fixture
def seed_listing(app):
    """Factory: a committed open listing (through the listing services); returns its id."""

    def make(tenant_id: int, *, employer: str = "Acme Analytics", **overrides: Any) -> int:
        overrides.setdefault("application_deadline", dt.date.today() + dt.timedelta(days=30))
        with app.app_context():
            emp = ensure_employer(
                tenant_id,
                employer,
                ACTOR,
                contact_name="Sam Supervisor",
                contact_email="sam@acme.example",
            )
            listing = create_listing(
                tenant_id, listing_input(emp.id, **overrides), ACTOR, submit=True
            )
            db.session.commit()
            return int(listing.id)

    return make
