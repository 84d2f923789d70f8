"""Fixtures for the framework tests: a tenant of its own per test (flushed, rolled back with
the app context) and the CASE fixture files."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant

CASE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "case"
ACTOR = "Test Advisor <advisor@example.edu> (user 0)"


def actor_in(tenant: Tenant) -> Actor:
    """The test advisor acting in ``tenant``."""
    return Actor(tenant.id, ACTOR)


def case_fixture(name: str) -> Any:
    return json.loads((CASE_DIR / name).read_text())


@pytest.fixture
def tenant(app_ctx) -> Tenant:
    tenant = Tenant(name=f"Tenant {secrets.token_hex(4)}")
    db.session.add(tenant)
    db.session.flush()
    return tenant
