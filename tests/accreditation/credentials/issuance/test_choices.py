"""The student's choices: evidence (a deliverable's link, the supervisor's comment; never by
default) and their own DID each revoke the credential and issue a new version; sharing; the
CLR bundles the valid credentials and is reissued only when that set changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accreditation.credentials import proof
from accreditation.credentials.issuance import batch, services, validation
from accreditation.credentials.models import Credential
from internships.work.models import Deliverable
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db

from .conftest import DELIVERABLE_URL, finish_engagement

DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _issued(app, world) -> tuple[int, int]:
    """The student's engagement finished and its credential issued: (credential, deliverable)."""
    engagement_id = finish_engagement(app, world, comment="Thorough and curious")
    with app.app_context():
        batch.issue_due(app)
        credential_id = db.session.scalar(
            select(Credential.id).where(Credential.engagement_id == engagement_id)
        )
        deliverable_id = db.session.scalar(
            select(Deliverable.id).where(Deliverable.engagement_id == engagement_id)
        )
        return int(credential_id), int(deliverable_id)


def test_evidence_is_opt_in_and_a_change_reissues(app, world):
    credential_id, deliverable_id = _issued(app, world)
    student = world["student"]
    with app.app_context():
        actor = student.ctx().actor
        with pytest.raises(PolicyViolationError, match="deliverables of this micro-internship"):
            services.set_evidence(actor, credential_id, [deliverable_id + 999], True)
        with pytest.raises(NotFoundError):
            services.set_evidence(world["other"].ctx().actor, credential_id, [], True)
        db.session.rollback()
        assert db.session.get(Credential, credential_id).revoked_at is None  # nothing changed

        new = services.set_evidence(actor, credential_id, [deliverable_id], True)
        db.session.commit()
        old = db.session.get(Credential, credential_id)
        assert (old.revoked_reason, old.replaced_by_id) == ("evidence", new.id)
        assert new.document["evidence"] == [
            {
                "type": ["Evidence"],
                "name": "Survey report",
                "genre": "Deliverable",
                "id": DELIVERABLE_URL,
            },
            {
                "type": ["Evidence"],
                "name": "The supervisor's comment",
                "genre": "Testimonial",
                "narrative": "Thorough and curious",
            },
        ]
        assert validation.ob_problems(new.document) == []
        assert proof.verify(new.document).ok and not proof.verify(old.document).ok
        same = services.set_evidence(actor, new.id, [deliverable_id], True)
        assert same.id == new.id  # no change, no new version
        fewer = services.set_evidence(actor, new.id, [], False)
        db.session.commit()
        assert "evidence" not in fewer.document and fewer.evidence_choice == {
            "deliverable_ids": [],
            "include_comment": False,
        }


def test_the_students_did_names_them_and_a_bad_one_is_refused(app, world):
    credential_id, _ = _issued(app, world)
    student = world["student"]
    with app.app_context():
        actor, student_id = student.ctx().actor, student.user_id
        for bad in ("did:Example:123", "did:key:", "mailto:me@example.org", "did:key:a b"):
            with pytest.raises(PolicyViolationError) as refused:
                services.set_subject_did(actor, student_id, bad)
            assert refused.value.errors == {"did": refused.value.message}
        other = world["other"]
        with pytest.raises(Exception, match="Only the student"):
            services.set_subject_did(other.ctx().actor, student_id, DID)
        [renewed] = services.set_subject_did(actor, student_id, DID)
        db.session.commit()
        subject = renewed.document["credentialSubject"]
        assert subject["id"] == DID and "identifier" not in subject
        assert proof.verify(renewed.document).ok
        assert db.session.get(Credential, credential_id).revoked_reason == "subject"
        assert services.set_subject_did(actor, student_id, DID) == []  # unchanged
        [hashed] = services.set_subject_did(actor, student_id, "")
        db.session.commit()
        assert hashed.document["credentialSubject"]["identifier"][0]["hashed"] is True


def test_sharing_and_the_public_id(app, world):
    credential_id, _ = _issued(app, world)
    with app.app_context():
        credential = db.session.get(Credential, credential_id)
        assert services.by_public_id(credential.public_id).id == credential_id
        assert services.by_public_id("not-a-credential") is None
        assert not credential.shared
        services.set_shared(world["student"].ctx().actor, credential_id, True)
        db.session.commit()
        assert services.by_public_id(credential.public_id).shared
        with pytest.raises(NotFoundError):
            services.set_shared(world["other"].ctx().actor, credential_id, False)


def test_the_clr_bundles_the_valid_credentials_and_changes_only_with_them(app, world):
    credential_id, deliverable_id = _issued(app, world)
    student = world["student"]
    with app.app_context():
        actor, student_id = student.ctx().actor, student.user_id
        with pytest.raises(PolicyViolationError, match="nothing to put in a record"):
            services.clr_for(world["other"].ctx().actor, world["other"].user_id)
        clr = services.clr_for(actor, student_id)
        db.session.commit()
        doc = clr.document
        assert doc["type"] == ["VerifiableCredential", "ClrCredential"]
        assert doc["credentialSubject"]["type"] == ["ClrSubject"]
        [bundled] = doc["credentialSubject"]["verifiableCredential"]
        assert bundled == db.session.get(Credential, credential_id).document
        assert validation.clr_problems(doc) == []
        assert proof.verify(doc).ok
        assert services.clr_for(actor, student_id).id == clr.id  # same set: same record
        services.set_evidence(actor, credential_id, [deliverable_id], False)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Credential, clr.id).revoked_reason == "reissued"
        again = services.clr_for(actor, student_id)
        db.session.commit()
        assert again.id != clr.id and again.revoked_at is None
        assert again.document["credentialSubject"]["verifiableCredential"][0]["evidence"]
        assert [c.kind for c in services.credentials_of(student.ctx())][:2] == [
            "clr",
            "achievement",
        ]
