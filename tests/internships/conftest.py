"""Factories for the internship tests: a tenant of its own per test, employers and listings
made through the services (so search words and facets are kept as in production)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from internships.services.listings import ListingInput, create_listing, ensure_employer
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant

ACTOR = "Test Advisor <advisor@example.edu> (user 0)"
TODAY = dt.date(2026, 9, 1)


@pytest.fixture(params=["sorted", "by groups"])
def read_path(request, monkeypatch):
    """Both ways the board reads a page: a few matches sorted in one statement with their
    count, more group by group in index order (with the parameter "by groups", every search:
    no number of matches is few)."""
    if request.param == "by groups":
        monkeypatch.setattr("internships.services.board.SORT_ALL_UP_TO", 0)
    return request.param


@pytest.fixture
def make_tenant(app_ctx):
    """Factory: a new tenant (flushed, rolled back with the app context)."""

    def make(**settings: Any) -> Tenant:
        tenant = Tenant(name=f"Tenant {secrets.token_hex(4)}", settings=settings)
        db.session.add(tenant)
        db.session.flush()
        return tenant

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


def listing_input(employer_id: int, **overrides: Any) -> ListingInput:
    values: dict[str, Any] = {
        "employer_id": employer_id,
        "title": "Market research sprint",
        "estimated_hours": 20,
        "compensation_type": "fixed",
        "pay_amount_cents": 50000,
        "location_type": "remote",
        "application_deadline": TODAY + dt.timedelta(days=14),
    }
    values.update(overrides)
    return ListingInput(**values)


@pytest.fixture
def make_listing(app_ctx):
    """Factory: ``make_listing(tenant_id, employer="Acme", submit=True, **fields)``."""

    def make(
        tenant_id: int, *, employer: str = "Acme Analytics", submit: bool = True, **overrides: Any
    ):
        emp = ensure_employer(Actor(tenant_id, ACTOR), employer)
        return create_listing(
            Actor(tenant_id, ACTOR), listing_input(emp.id, **overrides), submit=submit
        )

    return make
