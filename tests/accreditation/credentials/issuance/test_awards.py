"""A credit award becomes a credential (a ``Course`` achievement with the credits and grade)
once it is final; correcting the award revokes its credential (status bit set: it no longer
verifies) and issues the correction's in its place; an award awaiting a second approval waits."""

from __future__ import annotations

from sqlalchemy import select

from accreditation.credentials import proof
from accreditation.credentials.issuance import batch, services, validation
from accreditation.credentials.models import Credential
from accreditation.frameworks import crosswalk
from accreditation.frameworks.models import Framework, FrameworkItem, FrameworkItemVersion
from accreditation.frameworks.services import ensure_builtin_frameworks
from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from lti_tool.extensions import db
from tests.credit.conftest import give_work
from tests.credit.test_services import LINEITEM, award_input, policy_input

from ..helpers import awarded


def _issued_in(tenant_id: int) -> tuple[int, int]:
    """(credentials, revoked ones) of the tenant: ``issue_due`` issues for every tenant, and
    other tests leave due work in theirs."""
    rows = db.session.execute(
        select(Credential.revoked_at).where(Credential.tenant_id == tenant_id)
    ).all()
    return len(rows), sum(1 for (revoked_at,) in rows if revoked_at is not None)


def _of_award(award_id: int) -> list[Credential]:
    return list(
        db.session.scalars(
            select(Credential).where(Credential.award_id == award_id).order_by(Credential.id)
        )
    )


def test_an_award_is_issued_and_a_correction_revokes_and_replaces_it(app, school):
    with app.app_context():
        faculty, student, award = awarded(school, hours=95)
        batch.issue_due(app)
        assert _issued_in(school.tenant_id) == (2, 0)  # the engagement's and the award's
        [first] = _of_award(award.id)
        doc = first.document
        achievement = doc["credentialSubject"]["achievement"]
        assert achievement["achievementType"] == "Course"
        assert doc["credentialSubject"]["creditsEarned"] == 1.0
        assert "Awarded 1 academic credit (grade Pass)" in achievement["criteria"]["narrative"]
        assert "95 hours of approved work" in achievement["criteria"]["narrative"]
        assert {a["targetName"] for a in achievement["alignment"]} == {"Communication", "Teamwork"}
        [grade] = doc["credentialSubject"]["result"]
        assert (grade["value"], grade["status"]) == ("Pass", "Completed")
        assert validation.ob_problems(doc) == []
        assert proof.verify(doc).ok
        assert services.credential_for_award(school.tenant_id, award.id) == first

        corrected = award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(credits=2, comment="Two credits: the second project counts too"),
            lineitem_url=LINEITEM,
            supersedes_id=award.id,
        )
        db.session.commit()
        batch.issue_due(app)
        assert _issued_in(school.tenant_id) == (3, 1)
        db.session.expire_all()
        [old] = _of_award(award.id)
        [new] = _of_award(corrected.id)
        assert old.revoked_at is not None and old.revoked_reason == "corrected"
        assert old.replaced_by_id == new.id and new.revoked_at is None
        assert proof.is_revoked(old.status_entry) and not proof.is_revoked(new.status_entry)
        stale = proof.verify(old.document)
        assert not stale.ok and stale.state == "revoked"
        assert proof.verify(new.document).ok
        assert new.document["credentialSubject"]["creditsEarned"] == 2.0
        assert services.credential_for_award(school.tenant_id, award.id) is None
        batch.issue_due(app)
        assert _issued_in(school.tenant_id) == (3, 1)


def test_an_award_awaiting_its_second_approval_is_not_issued_yet(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        policy_svc.update_policy(faculty.ctx(), policy_input(approval_chain="faculty_then_second"))
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award = award_svc.award_credit(
            faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM
        )
        db.session.commit()
        assert award.status == "awaiting_approval"
        batch.issue_due(app)
        assert _issued_in(school.tenant_id) == (1, 0)  # the engagement's only
        assert _of_award(award.id) == []


def _case_course_outcome(tenant_id: int, course_id: int) -> FrameworkItem:
    """A course framework imported from a CASE provider, with one outcome."""
    framework = Framework(
        tenant_id=tenant_id,
        identifier="9a1e2f30-0000-4000-8000-00000000c0de",
        kind="course",
        source="case",
        source_url="https://case.example.edu/ims/case/v1p0/CFPackages/9a1e2f30",
        title="BUS 390 outcomes",
        course_id=course_id,
    )
    db.session.add(framework)
    db.session.flush()
    item = FrameworkItem(
        tenant_id=tenant_id,
        framework_id=framework.id,
        identifier="9a1e2f30-0000-4000-8000-00000000beef",
        human_coding="BUS390.2",
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(
        FrameworkItemVersion(
            tenant_id=tenant_id, item_id=item.id, name="Present findings to a client"
        )
    )
    db.session.flush()
    return item


def test_course_outcomes_aligned_to_the_rated_competencies_carry_their_case_uri(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        ctx = faculty.ctx()
        outcome = _case_course_outcome(ctx.tenant_id, ctx.course_id)
        nace = ensure_builtin_frameworks(ctx.tenant_id)
        rated = [i for i in nace.items if i.current.name in ("Communication", "Teamwork")]
        # aligned to both rated competencies: named once
        crosswalk.save_crosswalk(ctx, {(outcome.id, item.id) for item in rated})
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award = award_svc.award_credit(ctx, student.user_id, award_input(), lineitem_url=LINEITEM)
        db.session.commit()
        batch.issue_due(app)
        assert _issued_in(school.tenant_id) == (2, 0)
        credentials = db.session.scalars(
            select(Credential).where(Credential.student_id == student.user_id)
        ).all()
        assert {c.source for c in credentials} == {"engagement", "award"}
        for credential in credentials:
            alignment = credential.document["credentialSubject"]["achievement"]["alignment"]
            course_items = [a for a in alignment if a["targetFramework"] == "BUS 390 outcomes"]
            assert course_items == [
                {
                    "type": ["Alignment"],
                    "targetName": "Present findings to a client",
                    "targetUrl": "https://case.example.edu/ims/case/v1p0/CFItems/"
                    "9a1e2f30-0000-4000-8000-00000000beef",
                    "targetFramework": "BUS 390 outcomes",
                    "targetCode": "BUS390.2",
                    "targetType": "CFItem",
                }
            ]
            assert proof.verify(credential.document).ok
        assert services.credential_for_award(school.tenant_id, award.id) is not None


def test_a_correction_revokes_the_record_that_bundles_the_old_credential(app, school):
    """The student's CLR bundles the corrected award's credential: the correction revokes it
    too (the tick reads whether the student holds one with the credential it corrects)."""
    with app.app_context():
        faculty, student, award = awarded(school, hours=60)
        batch.issue_due(app)
        record = services.clr_for(student.ctx().actor, student.user_id)
        db.session.commit()
        record_id, record_entry = record.id, record.status_entry
        [old] = _of_award(award.id)
        assert old.uuid in record.bundled
        award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(credits=2, comment="Two credits"),
            lineitem_url=LINEITEM,
            supersedes_id=award.id,
        )
        db.session.commit()
        batch.issue_due(app)
        db.session.expire_all()
        revoked = db.session.get(Credential, record_id)
        assert revoked is not None and revoked.revoked_reason == "reissued"
        assert proof.is_revoked(record_entry)
        [old] = _of_award(award.id)
        assert old.revoked_reason == "corrected" and old.replaced_by_id is not None
