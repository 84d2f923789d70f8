"""What issuing reads: an award's work (its engagements' titles and the competencies rated)
in one statement, the student and their subject settings in one, the competency items named
in one (resolved as ``items_by_name`` resolves them), once per run of the tick also when it
corrects credentials, as is the key that signs; and the statements of one correction's
re-issue, pinned."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from accreditation.credentials import proof
from accreditation.credentials.issuance import batch, facts, issuing, sync
from accreditation.credentials.models import Credential, CredentialSubject
from accreditation.evidence.services import items_by_name
from accreditation.frameworks.models import FrameworkItemVersion
from accreditation.frameworks.services import ensure_builtin_frameworks
from credit.services import awards as award_svc
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.notify.models import Notification
from tests.credit.conftest import give_work
from tests.credit.test_services import LINEITEM, award_input
from tests.helpers import counted

from ..helpers import awarded


def test_an_awards_facts_are_read_in_two_statements(app, school):
    with app.app_context():
        _faculty, _student, award = awarded(school)
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


def test_a_correction_reads_the_framework_once_per_run(app, school):
    """A run that corrects one student's credential and issues another's reads the
    competency framework once."""
    with app.app_context():
        faculty, student, award = awarded(school)
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
        with counted() as seen:
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
        assert sum("FROM outcome_framework" in sql for sql in seen) == 1, seen
        # and the key that signs both: one read of the tenant's keys
        assert sum("FROM issuer_key" in sql for sql in seen) == 1, seen


def test_a_run_signs_with_the_key_read_once_until_it_commits(app, school):
    """The signing key is kept for a run's transaction: a key rotated meanwhile signs from
    the run's next commit on (a bulk issue commits after each chunk)."""
    with app.app_context():
        tenant = db.session.get(Tenant, school.tenant_id)
        lookups = facts.Lookups()
        first = lookups.signer(tenant)
        with counted() as seen:
            assert lookups.signer(tenant) is first
        assert seen == []
        rotated = proof.rotate_key(Actor(school.tenant_id, "Admin <admin@example.edu>"))
        db.session.commit()
        assert lookups.signer(tenant).key.id == first.key.id  # the run's transaction
        lookups.committed()
        assert lookups.signer(tenant).key.id == rotated.id != first.key.id


def test_the_tick_counts_every_tenants_work_in_one_statement(app, school):
    with app.app_context():
        _faculty, _student, _award = awarded(school)
        with counted() as seen:
            found = sync.tenants_with_pending()
        assert len(seen) == 1, seen
        assert found[school.tenant_id] == sync.pending_count(school.tenant_id) >= 1
        batch.issue_due(app)
        assert school.tenant_id not in sync.tenants_with_pending()


def test_competencies_are_found_by_name_as_items_by_name_finds_them(app, school):
    """Current names win; a renamed item is still found by its old name; an unknown name is
    not found; the framework is made when it is missing."""
    with app.app_context():
        framework = ensure_builtin_frameworks(school.tenant_id)
        by_name = items_by_name(framework.id)
        teamwork = by_name["Teamwork"]
        db.session.add(
            FrameworkItemVersion(
                tenant_id=school.tenant_id,
                item_id=teamwork.id,
                number=teamwork.current.number + 1,
                name="Collaboration",
                statement="Works with others.",
            )
        )
        db.session.flush()
        db.session.expire_all()
        framework = ensure_builtin_frameworks(school.tenant_id)
        expected = items_by_name(framework.id)
        names = ["Teamwork", "Collaboration", "Communication", "Juggling"]
        with counted() as seen:
            found = facts.Lookups().targets(school.tenant_id, names)
        assert len(seen) == 1, seen
        assert found == {
            name: facts._target(framework, expected[name]) for name in names if name in expected
        }
        assert set(found) == {"Teamwork", "Collaboration", "Communication"}
        assert found["Teamwork"].name == "Collaboration"


def test_a_tenant_without_the_framework_gets_it_made(app):
    with app.app_context():
        tenant = Tenant(name=f"New University {secrets.token_hex(4)}")
        db.session.add(tenant)
        db.session.flush()
        found = facts.Lookups().targets(tenant.id, ["Teamwork"])
        assert found["Teamwork"].name == "Teamwork"
        assert found["Teamwork"].url.startswith("urn:uuid:")


# What re-issuing one corrected award's credential runs, by engine: the credential with the end
# of its award's chain of corrections (and a credential that award may have already) and the
# student with their subject settings, the award's work, the new status bit, the signing key,
# a savepoint around the new row, the old status bit set, the old row revoked, the student's
# notice and its email. SQLite sets the bit on a read list (a savepoint, the read, the write).
CORRECTION_STATEMENTS = {"postgresql": 11, "sqlite": 14}


def test_a_correction_reissues_in_a_pinned_number_of_statements(app, school):
    with app.app_context():
        faculty, student, award = awarded(school)
        batch.issue_due(app)
        old_id = db.session.scalar(select(Credential.id).where(Credential.award_id == award.id))
        corrected = award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(credits=2, comment="Correction"),
            lineitem_url=LINEITEM,
            supersedes_id=award.id,
        )
        db.session.commit()
        # two things to do (a credential to revoke, an award without one), and the tick looks
        # for corrections only: re-issuing the corrected award's credential issues that award's
        assert sync.pending_by_tenant()[school.tenant_id] == sync.Pending(
            2, frozenset({"corrections"})
        )
        actor, lookups = Actor(school.tenant_id, sync.AUTOMATIC), facts.Lookups()
        issuing.tenant_of(school.tenant_id, lookups)  # once a run, as the framework's
        facts.award_facts(school.tenant_id, corrected.id, lookups)
        with counted() as seen:
            result = sync.correct(actor, old_id, lookups)
        assert (result.issued, result.revoked) == (1, 1)
        engine = db.engine.dialect.name
        assert len(seen) == CORRECTION_STATEMENTS[engine], "\n".join(s[:90] for s in seen)
        db.session.commit()
        db.session.expire_all()
        new = db.session.scalar(
            select(Credential).where(
                Credential.award_id == corrected.id, Credential.revoked_at.is_(None)
            )
        )
        assert new is not None and new.document["credentialSubject"]["creditsEarned"] == 2.0
        old = db.session.get(Credential, old_id)
        assert (
            old is not None and old.revoked_reason == "corrected" and old.replaced_by_id == new.id
        )
        assert proof.is_revoked(old.status_entry) and not proof.is_revoked(new.status_entry)
        assert proof.verify(new.document).ok
        assert db.session.scalar(
            select(Notification.message)
            .where(Notification.user_id == student.user_id)
            .order_by(Notification.id.desc())
            .limit(1)
        ).endswith("is updated.")
