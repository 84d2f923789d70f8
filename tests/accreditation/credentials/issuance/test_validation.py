"""The data-model checks catch what OB 3.0 and CLR 2.0 require (no package carries 1EdTech's
JSON Schemas, so they are written from the specifications' required properties): each broken
copy of a real document names its fault, and the issuer refuses to sign a document that fails."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from accreditation.credentials.issuance import documents, issuing, validation
from accreditation.credentials.issuance.facts import EngagementFacts, Rating, Target
from accreditation.credentials.models import Credential
from lti_tool.extensions import db
from lti_tool.models import Tenant

ISSUER = {"id": "did:web:tool.example:credentials:abc", "type": ["Profile"], "name": "State U"}
SUBJECT = documents.Subject(did="", email="ada@uni.example", lti_user_id="u-1", salt="ab12")
STATUS = {
    "id": "https://tool.example/credentials/abc/status/1#7",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "7",
    "statusListCredential": "https://tool.example/credentials/abc/status/1",
}


def _facts() -> EngagementFacts:
    import datetime as dt

    target = Target("Communication", "urn:uuid:1b2c", "NACE", "COM", "Clear and effective")
    return EngagementFacts(
        engagement_id=1,
        tenant_id=1,
        student_id=1,
        listing_id=3,
        title="Survey analysis",
        employer="Acme",
        hours=12.5,
        deliverables=(),
        evaluated_on=dt.date(2026, 11, 2),
        supervisor_comment="",
        ratings=(Rating("Communication", 4, target), Rating("Teamwork", None, None)),
    )


def _badge() -> dict[str, Any]:
    import datetime as dt

    doc = documents.engagement_credential(ISSUER, _facts(), SUBJECT, {}, dt.datetime(2026, 11, 3))
    doc["credentialStatus"] = dict(STATUS)
    return doc


def _broken(change) -> list[str]:
    doc = copy.deepcopy(_badge())
    change(doc)
    return validation.problems(doc)


def test_a_built_document_passes_and_each_fault_is_named():
    assert validation.problems(_badge()) == []  # the positive control
    achievement = ("credentialSubject", "achievement")
    cases = {
        "@context: must begin with": lambda d: d["@context"].reverse(),
        "type: must include VerifiableCredential, OpenBadgeCredential": lambda d: d.update(
            type=["VerifiableCredential"]
        ),
        "issuer.id: must be a URI": lambda d: d["issuer"].update(id="State U"),
        "validFrom: must be a date-time": lambda d: d.update(validFrom="3 Nov 2026"),
        "credentialSubject.achievement.criteria: needs an id or a narrative": lambda d: d[
            achievement[0]
        ][achievement[1]].update(criteria={}),
        "achievementType: is not an OB 3.0 AchievementType": lambda d: d[achievement[0]][
            achievement[1]
        ].update(achievementType="Internship"),
        "credentialSubject: needs an id or an identifier": lambda d: d["credentialSubject"].pop(
            "identifier"
        ),
        "identityHash: must be sha256$<64 hex>": lambda d: d["credentialSubject"]["identifier"][
            0
        ].update(identityHash="ada@uni.example"),
        "result[0].achievedLevel: names no result description": lambda d: d["credentialSubject"][
            "result"
        ][0].update(achievedLevel="urn:uuid:0"),
        "alignment[0].targetUrl: must be a URI": lambda d: d[achievement[0]][achievement[1]][
            "alignment"
        ][0].update(targetUrl="Communication"),
        "credentialStatus.statusListIndex: is required": lambda d: d["credentialStatus"].pop(
            "statusListIndex"
        ),
    }
    for expected, change in cases.items():
        found = _broken(change)
        assert any(expected in problem for problem in found), (expected, found)


def test_a_clr_needs_its_credentials_and_checks_each():
    import datetime as dt

    badge = _badge()
    clr = documents.clr_credential(ISSUER, SUBJECT, [badge], dt.datetime(2026, 11, 4))
    assert validation.clr_problems(clr) == []
    assert clr["@context"][:2] == [documents.VC_V2, documents.CLR_CONTEXT]
    empty = copy.deepcopy(clr)
    empty["credentialSubject"]["verifiableCredential"] = []
    assert "needs at least one credential" in " ".join(validation.clr_problems(empty))
    bad = copy.deepcopy(clr)
    bad["credentialSubject"]["verifiableCredential"][0]["validFrom"] = "soon"
    assert any("verifiableCredential[0]" in p for p in validation.clr_problems(bad))


def test_the_issuer_refuses_to_sign_a_document_that_fails(app_ctx):
    import secrets

    tenant = Tenant(name=f"Validation U {secrets.token_hex(3)}")
    db.session.add(tenant)
    db.session.flush()
    before = db.session.scalar(select(func.count(Credential.id)))
    doc = _badge()
    doc.pop("credentialStatus")
    doc["credentialSubject"]["achievement"]["criteria"] = {}
    with pytest.raises(issuing.IssuanceError, match="criteria: needs an id or a narrative"):
        issuing.sign_new(tenant, doc)
    assert "proof" not in doc
    assert db.session.scalar(select(func.count(Credential.id))) == before
    db.session.rollback()
