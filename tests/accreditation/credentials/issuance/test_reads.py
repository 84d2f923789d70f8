"""What issuing reads: an award's work (its engagements' titles and the competencies rated)
in one statement, the student and their subject settings in one, the framework lookups once
per run of the tick also when it corrects credentials."""

from __future__ import annotations

from sqlalchemy import select

from accreditation.credentials.issuance import batch, facts, issuing, sync
from accreditation.credentials.models import Credential, CredentialSubject
from credit.services import awards as award_svc
from lti_tool.extensions import db
from tests.credit.conftest import give_work
from tests.credit.test_services import LINEITEM, award_input
from tests.helpers import counted


def _awarded(app, school, hours: int = 60):
    faculty, student = school.person("faculty"), school.person("student")
    give_work(student.ctx(), hours=hours)
    db.session.commit()
    award = award_svc.award_credit(
        faculty.ctx(), student.user_id, award_input(credits=1), lineitem_url=LINEITEM
    )
    db.session.commit()
    return faculty, student, award


def test_an_awards_facts_are_read_in_two_statements(app, school):
    with app.app_context():
        _faculty, _student, award = _awarded(app, school)
        lookups = facts.Lookups()
        facts.award_facts(school.tenant_id, award.id, lookups)  # the framework's, once a run
        with counted() as seen:
            found = facts.award_facts(school.tenant_id, award.id, lookups)
        assert found is not None
        assert len(seen) == 2, seen  # the award with its course; its work
        assert found.engagements and all(isinstance(t, str) for t in found.engagements)
        assert [t.name for t in found.targets] == ["Communication", "Teamwork"]


def test_the_student_and_their_subject_settings_are_read_in_one_statement(app, school):
    with app.app_context():
        student_id = school.person("student").user_id
        first = issuing.subject_of(school.tenant_id, student_id)  # made the first time
        db.session.flush()
        db.session.expire_all()
        with counted() as seen:
            again = issuing.subject_of(school.tenant_id, student_id)
        assert len(seen) == 1, seen
        assert again == first and again.salt and again.email
        rows = db.session.scalars(
            select(CredentialSubject).where(CredentialSubject.student_id == student_id)
        ).all()
        assert len(rows) == 1


def test_a_correction_reads_the_framework_once_per_run(app, school, monkeypatch):
    """A run that corrects one student's credential and issues another's reads the
    competency framework once."""
    with app.app_context():
        faculty, student, award = _awarded(app, school)
        batch.issue_due(app)
        corrected = award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(credits=2, comment="Correction"),
            lineitem_url=LINEITEM,
            supersedes_id=award.id,
        )
        other = school.person("student", sub="student-reads-2")
        give_work(other.ctx(), hours=50)
        db.session.commit()
        award_svc.award_credit(
            faculty.ctx(), other.user_id, award_input(credits=1), lineitem_url=LINEITEM
        )
        db.session.commit()
        made: list[int] = []
        real = facts.ensure_builtin_frameworks

        def reading(tenant_id: int):
            made.append(tenant_id)
            return real(tenant_id)

        monkeypatch.setattr(facts, "ensure_builtin_frameworks", reading)
        batch.issue_due(app)
        current = db.session.scalar(
            select(Credential).where(
                Credential.award_id == corrected.id, Credential.revoked_at.is_(None)
            )
        )
        assert current is not None
        assert current.document["credentialSubject"]["creditsEarned"] == 2.0
        issued_other = db.session.scalar(
            select(Credential).where(
                Credential.student_id == other.user_id, Credential.source == "award"
            )
        )
        assert issued_other is not None
        assert made.count(school.tenant_id) == 1


def test_the_tick_counts_every_tenants_work_in_one_statement(app, school):
    with app.app_context():
        _faculty, _student, _award = _awarded(app, school)
        with counted() as seen:
            found = sync.tenants_with_pending()
        assert len(seen) == 1, seen
        assert found[school.tenant_id] == sync.pending_count(school.tenant_id) >= 1
        batch.issue_due(app)
        assert school.tenant_id not in sync.tenants_with_pending()
