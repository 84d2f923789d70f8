"""A finished micro-internship becomes an Open Badges 3.0 credential: issued by the runner's
tick once the engagement is completed with the supervisor's evaluation, once only, with what
the records say (hours, deliverables, ratings on the rubric levels, alignment to the
competency items), the student identified by a salted hash of their email, signed so that
``proof.verify`` accepts it, and valid against the OB 3.0 data model."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from accreditation.credentials import proof
from accreditation.credentials.issuance import batch, services, validation
from accreditation.credentials.issuance.documents import OB_CONTEXT, VC_V2
from accreditation.credentials.models import Credential, CredentialSubject
from accreditation.frameworks.services import ensure_builtin_frameworks
from lti_tool.extensions import db
from lti_tool.models import User
from lti_tool.notify.models import Notification

from .conftest import finish_engagement


def _credentials(tenant_id: int) -> list[Credential]:
    return list(
        db.session.scalars(
            select(Credential).where(Credential.tenant_id == tenant_id).order_by(Credential.id)
        )
    )


def test_a_finished_engagement_is_issued_once_with_what_the_records_say(app, world):
    tenant_id = world["school"].tenant_id
    engagement_id = finish_engagement(app, world)
    with app.app_context():
        first = batch.issue_due(app)
        again = batch.issue_due(app)  # the tick again: nothing more to issue
        assert (first.issued, again.issued) == (1, 0)
        [credential] = _credentials(tenant_id)
        student_id = world["student"].user_id
        assert (credential.student_id, credential.engagement_id) == (student_id, engagement_id)
        assert credential.kind == "achievement" and credential.source == "engagement"
        assert len(credential.public_id) >= 32 and not credential.shared
        doc = credential.document
        assert doc["@context"][:2] == [VC_V2, OB_CONTEXT]
        assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert doc["id"] == f"urn:uuid:{credential.uuid}"
        assert doc["issuer"]["id"].startswith("did:web:")
        assert doc["credentialStatus"] == credential.status_entry
        assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
        assert "evidence" not in doc  # nothing the student has not chosen

        achievement = doc["credentialSubject"]["achievement"]
        assert achievement["achievementType"] == "Fieldwork"
        narrative = achievement["criteria"]["narrative"]
        assert "Hours confirmed by the employer: 6 hours." in narrative
        assert "Deliverables handed in: 1." in narrative
        assert "Communication: Early Application" in narrative
        assert "Teamwork: Not applicable" in narrative

        framework = ensure_builtin_frameworks(tenant_id)
        communication = next(i for i in framework.items if i.current.name == "Communication")
        [aligned] = achievement["alignment"]  # the rated competency; not the N/A one
        assert aligned["targetName"] == "Communication"
        assert aligned["targetUrl"] == f"urn:uuid:{communication.identifier}"
        assert aligned["targetType"] == "CFItem"

        by_id = {rd["id"]: rd for rd in achievement["resultDescription"]}
        results = {
            by_id[r["resultDescription"]]["name"]: r for r in doc["credentialSubject"]["result"]
        }
        rated = results["Communication: the supervisor's rating"]
        rd = by_id[rated["resultDescription"]]
        assert [lv["name"] for lv in rd["rubricCriterionLevel"]] == [
            "Emerging Knowledge",
            "Understanding",
            "Early Application",
            "Advanced Application",
        ]
        level = next(lv for lv in rd["rubricCriterionLevel"] if lv["id"] == rated["achievedLevel"])
        assert (level["name"], rated["value"]) == ("Early Application", "Early Application")
        na = results["Teamwork: the supervisor's rating"]
        assert na["value"] == "Not applicable" and "achievedLevel" not in na

        [identity] = doc["credentialSubject"]["identifier"]
        user = db.session.get(User, student_id)
        salt = db.session.scalar(
            select(CredentialSubject.salt).where(CredentialSubject.student_id == student_id)
        )
        expected = hashlib.sha256(f"{user.email.lower()}{salt}".encode()).hexdigest()
        assert identity == {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": f"sha256${expected}",
            "salt": salt,
        }
        assert user.email not in str(doc)

        assert validation.ob_problems(doc) == []
        verification = proof.verify(doc)
        assert verification.ok, verification.reason
        assert verification.issuer_tenant_id == tenant_id
        told = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == student_id, Notification.kind == "credential_issued"
            )
        )
        assert told == 1
        assert services.credentials_for_engagement(tenant_id, engagement_id) == [credential]


def test_an_engagement_not_yet_completed_gets_no_credential(app, world):
    from tests.internships.work.helpers import engaged

    engaged(app, world)
    with app.app_context():
        assert batch.issue_due(app).issued == 0
        assert _credentials(world["school"].tenant_id) == []


def test_the_command_issues_what_is_missing_and_says_so(app, world, runner):
    finish_engagement(app, world)
    with app.app_context():
        from lti_tool.models import Tenant

        name = db.session.get(Tenant, world["school"].tenant_id).name
    result = runner.invoke(args=["credentials", "issue", "--tenant", name])
    assert result.exit_code == 0, result.output
    assert "1 issued, 0 revoked, 1 of 1" in result.output
    again = runner.invoke(args=["credentials", "issue", "--tenant", name])
    assert "0 issued, 0 revoked, 0 of 0" in again.output
    missing = runner.invoke(args=["credentials", "issue", "--tenant", "No Such School"])
    assert missing.exit_code != 0 and "no tenant named" in missing.output
