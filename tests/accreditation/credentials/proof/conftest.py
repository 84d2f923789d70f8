"""Fixtures of the proof tests: a tenant of its own per test (flushed, rolled back with the app
context) and an Open Badges 3.0 credential to sign."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from accreditation.credentials.proof import issuer_profile
from lti_tool.extensions import db
from lti_tool.models import Tenant


@pytest.fixture
def tenant(app_ctx) -> Tenant:
    tenant = Tenant(name=f"Proof University {secrets.token_hex(4)}")
    db.session.add(tenant)
    db.session.flush()
    return tenant


def badge(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential of ``tenant`` (what the issuance area builds)."""
    document: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{secrets.token_hex(4)}-0000-4000-8000-000000000000",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(tenant),
        "validFrom": "2026-05-01T00:00:00Z",
        "name": "Data analysis micro-internship",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:student-1",
            "achievement": {
                "id": "urn:uuid:5e0c1a70-0000-4000-8000-000000000001",
                "type": ["Achievement"],
                "name": "Data analysis micro-internship",
                "description": "Forty hours of data cleaning for Acme Analytics.",
                "criteria": {"narrative": "Finished the engagement; the supervisor approved."},
            },
        },
    }
    document.update(overrides)
    return document


def clr(tenant: Tenant, *members: dict[str, Any]) -> dict[str, Any]:
    """An unsigned ClrCredential of ``tenant`` holding signed ``members``."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{secrets.token_hex(4)}-0000-4000-8000-000000000002",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer_profile(tenant),
        "validFrom": "2026-05-02T00:00:00Z",
        "name": "Career Credit record",
        "partial": False,
        "credentialSubject": {
            "type": ["ClrSubject"],
            "id": "did:example:student-1",
            "verifiableCredential": list(members),
        },
    }
