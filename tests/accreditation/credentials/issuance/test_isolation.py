"""Tenancy, roles and erasure: a student reaches only their own credentials, an advisor only
their tenant's, issuing for one tenant never touches another's; erasing a student revokes
their credentials (a shared copy stops verifying) and deletes the rows; pseudonymizing keeps
the rows without anything about the person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accreditation.credentials import proof
from accreditation.credentials.issuance import batch, services, sync
from accreditation.credentials.models import Credential, CredentialSubject
from lti_tool.actor import Actor
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.extensions import db
from lti_tool.models import User
from lti_tool.privacy import subject
from tests.internships.work.conftest import make_world

from .conftest import COMPETENCIES, finish_engagement


def _issued(app, world) -> int:
    engagement_id = finish_engagement(app, world)
    with app.app_context():
        batch.issue_due(app)
        return int(
            db.session.scalar(
                select(Credential.id).where(Credential.engagement_id == engagement_id)
            )
        )


def test_only_the_student_and_their_tenants_advisors_reach_a_credential(
    app, world, make_school, seed_listing
):
    credential_id = _issued(app, world)
    elsewhere = make_world(make_school(), seed_listing, COMPETENCIES)
    with app.app_context():
        student_id = world["student"].user_id
        own = services.get_own(world["student"].ctx(), credential_id)  # positive control
        assert own.id == credential_id
        assert [c.id for c in services.credentials_of(world["advisor"].ctx(), student_id)] == [
            credential_id
        ]
        with pytest.raises(NotFoundError):
            services.get_own(world["other"].ctx(), credential_id)
        with pytest.raises(ForbiddenError):
            services.credentials_of(world["other"].ctx(), student_id)
        with pytest.raises(ForbiddenError):
            services.credentials_of(world["faculty"].ctx(), student_id)
        with pytest.raises(NotFoundError):
            services.get_own(elsewhere["student"].ctx(), credential_id)
        assert services.credentials_of(elsewhere["advisor"].ctx(), student_id) == []
        with pytest.raises(NotFoundError):
            services.withdraw(elsewhere["advisor"].ctx().actor, credential_id)
        assert services.issuance_counts(elsewhere["school"].tenant_id)["issued"] == 0
        counts = services.issuance_counts(world["school"].tenant_id)
        assert (counts["issued"], counts["valid"], counts["students"]) == (1, 1, 1)


def test_issuing_for_one_tenant_leaves_the_others_alone(app, make_school, seed_listing):
    first = make_world(make_school(), seed_listing, COMPETENCIES)
    second = make_world(make_school(), seed_listing, COMPETENCIES)
    finish_engagement(app, first)
    finish_engagement(app, second)
    with app.app_context():
        tenant_a, tenant_b = first["school"].tenant_id, second["school"].tenant_id
        assert sync.pending_count(tenant_a) == 1 and sync.pending_count(tenant_b) == 1
        result = sync.sync_tenant(Actor(tenant_a, "tests"))
        db.session.commit()
        assert result.issued == 1
        assert sync.pending_count(tenant_b) == 1
        issued = db.session.scalars(select(Credential.tenant_id)).all()
        assert tenant_b not in issued and tenant_a in issued


def test_a_withdrawn_credential_is_not_issued_again(app, world):
    credential_id = _issued(app, world)
    with app.app_context():
        services.withdraw(world["advisor"].ctx().actor, credential_id)
        db.session.commit()
        assert batch.issue_due(app).issued == 0
        credential = db.session.get(Credential, credential_id)
        assert credential.revoked_reason == "withdrawn" and proof.is_revoked(
            credential.status_entry
        )


def test_erasing_the_student_revokes_and_deletes_their_credentials(app, world):
    credential_id = _issued(app, world)
    with app.app_context():
        credential = db.session.get(Credential, credential_id)
        document, entry = credential.document, credential.status_entry
        assert proof.verify(document).ok  # positive control
        student_id = world["student"].user_id
        user = db.session.get(User, student_id)
        subject.erase(Actor(world["school"].tenant_id, "tests"), user)
        db.session.commit()
        assert proof.is_revoked(entry)
        assert proof.verify(document).state == "revoked"  # a copy shared before
        assert db.session.get(Credential, credential_id) is None
        assert (
            db.session.scalar(
                select(CredentialSubject).where(CredentialSubject.student_id == student_id)
            )
            is None
        )


def test_pseudonymizing_the_student_keeps_no_subject_in_their_credentials(app, world):
    credential_id = _issued(app, world)
    student = world["student"]
    with app.app_context():
        actor, student_id = student.ctx().actor, student.user_id
        services.set_subject_did(actor, student_id, "did:key:z6MkPseudonymTest")
        db.session.commit()
        user = db.session.get(User, student_id)
        subject.pseudonymise(Actor(world["school"].tenant_id, "tests"), user)
        db.session.commit()
        db.session.expire_all()
        rows = db.session.scalars(
            select(Credential).where(Credential.student_id == student_id)
        ).all()
        assert {c.id for c in rows} >= {credential_id}
        for credential in rows:
            assert credential.revoked_at is not None
            assert "credentialSubject" not in credential.document
            assert proof.is_revoked(credential.status_entry)
        row = db.session.scalar(
            select(CredentialSubject).where(CredentialSubject.student_id == student_id)
        )
        assert row.did == ""
