"""Export and erasure leave nothing behind: mail about the student (a supervisor's link to
evaluate them) is theirs to see and goes with them, a résumé replaced by a re-application is
deleted at once, OIDC login records naming them are deleted, accreditation export zips are
deleted by erasure and by retention, and open supervisor links are revoked."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from sqlalchemy import func, select

from accreditation.attainment import exports
from accreditation.attainment.models import AttainmentExport
from internships.work.models import Application
from internships.work.services import applications as app_svc
from internships.work.services import evaluations as evals
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import LtiState, User, utcnow
from lti_tool.notify.models import EmailMessage
from lti_tool.privacy import retention, schema, subject
from tests.internships.work.helpers import application_input

from .test_privacy import _files, worked  # noqa: F401


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def test_mail_about_the_student_is_exported_without_its_link_and_erased(app, school, worked):  # noqa: F811
    with app.test_request_context():
        token = evals.send_supervisor_link(
            Actor(school.tenant_id, "tests"),
            worked["engagement_id"],
            "confirm_hours",
            lambda t: f"https://tool.example/supervisor/hours/{t}",
        )
        db.session.commit()
        mail = db.session.scalar(select(EmailMessage).order_by(EmailMessage.id.desc()))
        assert mail is not None and mail.to_address != worked["email"]  # to the supervisor
        person = _user(worked["user_id"])
        data, _ = subject.export_zip(Actor(person.tenant_id, "tests"), person)
        exported = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("data.json"))
        bodies = [e["body"] for e in exported["emails_sent"]]
        assert any("/supervisor/hours/[redacted]" in b for b in bodies)  # it is in their export ...
        assert token not in json.dumps(exported)  # ... without the supervisor's capability
        mail_id = mail.id
        subject.erase(Actor(person.tenant_id, "tests"), _user(worked["user_id"]))
        db.session.commit()
        assert db.session.get(EmailMessage, mail_id) is None


def test_erasure_deletes_login_records_naming_the_person(app, client, worked):  # noqa: F811
    student = worked["student"]
    with app.app_context():
        platform_iss = db.session.scalar(select(LtiState.value).limit(1))
        assert platform_iss is not None  # the launches of the fixture logged in
        before = db.session.scalar(
            select(func.count())
            .select_from(LtiState)
            .where(LtiState.value.like(f'%"{student.sub}"%'))
        )
        assert before  # control: the login kept the login hint
        person = _user(worked["user_id"])
        subject.erase(Actor(person.tenant_id, "tests"), person)
        db.session.commit()
        after = db.session.scalar(
            select(func.count())
            .select_from(LtiState)
            .where(LtiState.value.like(f'%"{student.sub}"%'))
        )
        assert after == 0


def test_a_replaced_resume_is_deleted(app, school, worked, seed_listing):  # noqa: F811
    listing = seed_listing(school.tenant_id, title="Third sprint")
    with app.test_request_context():
        ctx = worked["student"].ctx()
        data = application_input()
        first = app_svc.apply_to_listing(ctx, listing, data)
        db.session.commit()
        old = first.resume_path
        assert old in _files(app)  # control
        app_svc.withdraw_application(ctx, first.id)
        db.session.commit()
        again = app_svc.apply_to_listing(ctx, listing, data)
        db.session.commit()
        assert again.id == first.id and again.resume_path != old
        assert again.resume_path in _files(app)
        assert old not in _files(app)
        assert (
            db.session.scalar(
                select(func.count()).select_from(Application).where(Application.resume_path == old)
            )
            == 0
        )


def _export_file(app, tenant_id: int, requested_by: int, finished: dt.datetime) -> tuple[int, str]:
    with app.test_request_context():
        from accreditation.frameworks.models import Framework

        framework_id = db.session.scalar(select(Framework.id).limit(1))
        if framework_id is None:
            from accreditation.frameworks.services import ensure_builtin_frameworks

            ensure_builtin_frameworks(tenant_id)
            framework_id = db.session.scalar(select(Framework.id).limit(1))
        name = f"test-{requested_by}-{finished.timestamp():.0f}.zip"
        (exports.export_dir() / name).write_bytes(b"PK zip")
        job = AttainmentExport(
            tenant_id=tenant_id,
            requested_by_id=requested_by,
            actor="advisor",
            framework_id=framework_id,
            seed="s",
            status="done",
            file_name=name,
            finished_at=finished,
        )
        db.session.add(job)
        db.session.commit()
        return job.id, name


def test_retention_deletes_old_export_zips(app, school, worked):  # noqa: F811
    tenant_id = school.tenant_id
    old_id, old = _export_file(app, tenant_id, worked["user_id"], utcnow() - dt.timedelta(days=40))
    _, new = _export_file(app, tenant_id, worked["user_id"], utcnow())
    with app.test_request_context():
        retention.purge()
        db.session.commit()
        assert (exports.export_dir() / new).is_file()  # control: a recent export stays
        assert not (exports.export_dir() / old).exists()
        job = db.session.get(AttainmentExport, old_id)
        assert job is not None and job.file_name is None and "retention" in job.error


def test_erasure_deletes_export_zips_that_may_hold_the_student(app, school, worked):  # noqa: F811
    from accreditation.evidence.models import Evidence
    from accreditation.frameworks.models import FrameworkItemVersion
    from accreditation.frameworks.services import ensure_builtin_frameworks

    tenant_id = school.tenant_id
    with app.app_context():
        ensure_builtin_frameworks(tenant_id)
        version = db.session.scalar(select(FrameworkItemVersion).limit(1))
        assert version is not None
        db.session.add(
            Evidence(
                tenant_id=tenant_id,
                student_id=worked["user_id"],
                item_id=version.item_id,
                item_version_id=version.id,
                level=3,
                source="direct",
                method="supervisor_rating",
                origin=f"test:{worked['user_id']}",
            )
        )
        db.session.commit()
        advisor = db.session.scalar(select(User.id).where(User.sub == worked["other"].sub))
    _, older = _export_file(app, tenant_id, advisor, utcnow() - dt.timedelta(days=3))
    _, name = _export_file(app, tenant_id, advisor, utcnow() + dt.timedelta(seconds=5))
    with app.test_request_context():
        person = _user(worked["user_id"])
        subject.erase(Actor(person.tenant_id, "tests"), person)
        db.session.commit()
        assert (exports.export_dir() / older).is_file()  # control: written before their evidence
        assert not (exports.export_dir() / name).exists()


def test_misposted_grades_are_the_students(app):
    refs = {(r.table.name, r.column.name): r.owner for r in schema.user_references()}
    assert refs[("credit_misposted_grade", "student_id")] is True
