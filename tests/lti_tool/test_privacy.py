"""Student-data rights end to end: a student who arrived by real launches applies with a
résumé, works, logs hours, hands in a file, reflects and is evaluated; then an operator exports
everything held about them (CLI and admin page), pseudonymises one student and erases another.
Aggregates (hours, ratings) survive pseudonymisation, files are gone, the audit trail names the
pseudonym, and every action is audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, func, select

from internships.work.models import (
    Application,
    CompetencyRating,
    Deliverable,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from internships.work.services import engagements as eng
from internships.work.services import evaluations as evals
from internships.work.services import hours as hour_svc
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Launch, Tenant, User
from lti_tool.privacy import schema, subject
from lti_tool.privacy.subject import erasure
from tests.helpers import csrf_token
from tests.internships.work.helpers import PDF, accept, ready_to_log

NOTES = b"Interview notes: five customers, three themes.\n"


@pytest.fixture
def worked(app, school, seed_listing):
    """Two students of one school; the first has a full engagement behind them."""
    listing = seed_listing(school.tenant_id, competencies=["Teamwork", "Communication"])
    second = seed_listing(school.tenant_id, title="Second sprint")
    student = school.person("student")
    other = school.person("student")
    with app.app_context():
        ctx = student.ctx()
        engagement = ready_to_log(ctx, accept(ctx, listing))
        today = dt.date.today()
        hour_svc.log_hours(ctx, engagement.id, today, "2.5", "Interviewed five customers")
        hour_svc.log_hours(ctx, engagement.id, today, "1", "Wrote the summary")
        eng.add_deliverable(ctx, engagement.id, "Interview notes", data=NOTES, filename="n.txt")
        eng.save_reflection(ctx, engagement.id, {"what": "I learned to listen."}, submit=False)
        evals.submit_evaluation(
            Actor(school.tenant_id, "Sam Supervisor <sam@acme.example> (link)"),
            engagement.id,
            "Sam Supervisor",
            {"Teamwork": (3, "Worked well with the team"), "Communication": (4, "")},
            "A pleasure to work with.",
        )
        accept(other.ctx(), second)
        db.session.commit()
        tenant = db.session.get(Tenant, school.tenant_id).name
        user = db.session.scalar(
            select(User).where(User.tenant_id == school.tenant_id, User.sub == student.sub)
        )
        return {
            "tenant": tenant,
            "student": student,
            "other": other,
            "user_id": user.id,
            "name": user.name,
            "email": user.email,
            "engagement_id": engagement.id,
        }


def _files(app) -> dict[str, bytes]:
    from internships.work.services.uploads import uploads_dir

    with app.test_request_context():
        root = uploads_dir()
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _stored_names(app, user_id: int) -> list[str]:
    with app.app_context():
        resumes = db.session.scalars(
            select(Application.resume_path).where(Application.student_id == user_id)
        ).all()
        deliverables = db.session.scalars(
            select(Deliverable.file_path)
            .join(Engagement, Engagement.id == Deliverable.engagement_id)
            .where(Engagement.student_id == user_id)
        ).all()
        return [n for n in [*resumes, *deliverables] if n]


def test_user_references_are_discovered_from_the_schema():
    refs = {(r.table.name, r.column.name): r for r in schema.user_references()}
    for table, column in [
        ("application", "student_id"),
        ("engagement", "student_id"),
        ("hour_log", "student_id"),
        ("student_profile", "user_id"),
        ("enrolment", "user_id"),
        ("launch", "user_id"),
        ("notification", "user_id"),
    ]:
        assert refs[(table, column)].depth == 1 and refs[(table, column)].owner
    assert refs[("deliverable", "engagement_id")].depth == 2
    assert refs[("supervisor_evaluation", "engagement_id")].depth == 2
    assert refs[("competency_rating", "evaluation_id")].depth == 3
    assert ("hour_log", "engagement_id") not in refs  # found through its own student_id


def test_a_new_table_is_covered_without_changes():
    metadata = MetaData()
    Table("lti_user", metadata, Column("id", Integer, primary_key=True))
    Table("course", metadata, Column("id", Integer, primary_key=True))
    Table(
        "portfolio",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("student_id", ForeignKey("lti_user.id")),
        Column("reviewer_id", ForeignKey("lti_user.id")),
        Column("course_id", ForeignKey("course.id")),
    )
    Table(
        "portfolio_item",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("portfolio_id", ForeignKey("portfolio.id")),
        Column("body", Text),
    )
    Table(
        "course_note",  # hangs off a shared table: not a person's
        metadata,
        Column("id", Integer, primary_key=True),
        Column("course_id", ForeignKey("course.id")),
        Column("text", String(100)),
    )
    refs = {(r.table.name, r.column.name, r.owner) for r in schema.user_references(metadata)}
    assert refs == {
        ("portfolio", "student_id", True),
        ("portfolio", "reviewer_id", False),
        ("portfolio_item", "portfolio_id", True),
    }


def test_cli_export_has_every_record_and_file(app, runner, worked, tmp_path):
    out = tmp_path / "export.zip"
    result = runner.invoke(
        args=[
            "privacy",
            "export",
            "--tenant",
            worked["tenant"],
            "--user",
            worked["student"].sub,
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"Exported \d+ records in \d+ tables", result.output)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read("data.json"))
        names = archive.namelist()
        files = {n: archive.read(n) for n in names if n.startswith("files/")}
    assert data["person"]["email"] == worked["email"]
    records = data["records"]
    for table in (
        "application",
        "engagement",
        "hour_log",
        "deliverable",
        "reflection",
        "supervisor_evaluation",
        "competency_rating",
        "enrolment",
        "launch",
    ):
        assert records.get(table), table
    assert {r["description"] for r in records["hour_log"]} == {
        "Interviewed five customers",
        "Wrote the summary",
    }
    assert {r["level"] for r in records["competency_rating"]} == {3, 4}
    assert records["reflection"][0]["answers"]["what"] == "I learned to listen."
    assert all(r["id"] == "[secret: not exported]" for r in records["launch"])
    assert sorted(files.values()) == sorted([NOTES, PDF])
    assert {f["table"] for f in data["files"]} == {"application", "deliverable"}
    actions = {e["action"] for e in data["audit_entries"]}
    assert {"application.submit", "hours.log", "deliverable.add"} <= actions or (
        "application.submit" in actions and "deliverable.add" in actions
    )
    # The other student's data is not in it.
    assert worked["other"].sub not in json.dumps(data)
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "student.export")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.actor == "cli" and entry.detail["user_id"] == worked["user_id"]
        assert worked["email"] not in json.dumps(entry.detail)


def _hours_and_ratings(app, user_id: int) -> tuple[int, list[int | None]]:
    with app.app_context():
        minutes = db.session.scalar(
            select(func.sum(HourLog.minutes)).where(HourLog.student_id == user_id)
        )
        levels = db.session.scalars(
            select(CompetencyRating.level)
            .join(SupervisorEvaluation)
            .join(Engagement, Engagement.id == SupervisorEvaluation.engagement_id)
            .where(Engagement.student_id == user_id)
            .order_by(CompetencyRating.level)
        ).all()
        return int(minutes or 0), list(levels)


def test_cli_pseudonymise_keeps_aggregates_and_rewrites_the_audit_trail(app, runner, worked):
    user_id = worked["user_id"]
    student = worked["student"]
    before = _hours_and_ratings(app, user_id)
    assert before == (210, [3, 4])
    stored = _stored_names(app, user_id)
    assert len(stored) == 2 and all(name in _files(app) for name in stored)
    assert student.client.get(f"/work/applications?lid={student.lid}").status_code == 200

    refused = runner.invoke(
        args=["privacy", "pseudonymise", "--tenant", worked["tenant"], "--user", student.sub],
        input="n\n",
    )
    assert refused.exit_code != 0 and "Nothing was changed" in refused.output
    result = runner.invoke(
        args=[
            "privacy",
            "pseudonymise",
            "--tenant",
            worked["tenant"],
            "--user",
            student.sub,
            "--yes",
        ]
    )
    assert result.exit_code == 0, result.output
    pseudonym = re.search(r"Pseudonymized as (pseudonym-\w+)", result.output).group(1)

    assert _hours_and_ratings(app, user_id) == before  # the aggregates are unchanged
    assert not any(name in _files(app) for name in stored)  # the files are gone
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.sub == pseudonym and user.email == "" and worked["name"] not in user.name
        application = db.session.scalar(
            select(Application).where(Application.student_id == user_id)
        )
        assert application.statement == "" and application.resume_path is None
        assert application.resume_filename == ""
        assert application.status == "accepted"
        descriptions = db.session.scalars(
            select(HourLog.description).where(HourLog.student_id == user_id)
        ).all()
        assert all(d.startswith("[removed") for d in descriptions)
        reflection = db.session.scalar(
            select(Reflection).where(Reflection.engagement_id == worked["engagement_id"])
        )
        assert reflection.answers == {}
        assert db.session.scalar(select(func.count()).where(Launch.user_id == user_id)) == 0
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == user.tenant_id)
        ).all()
        text = json.dumps([[e.actor, e.detail] for e in entries])
        assert worked["email"] not in text and worked["name"] not in text
        assert student.sub not in text
        mine = [e for e in entries if f"(user {user_id})" in e.actor]
        assert mine and all(e.actor.startswith(pseudonym) for e in mine)
        done = [e for e in entries if e.action == "student.pseudonymise"]
        assert len(done) == 1 and done[0].detail["pseudonym"] == pseudonym
        assert done[0].detail["files_deleted"] == 2
    # The old session no longer works; a pseudonymised person is not logged in anywhere.
    assert student.client.get(f"/work/applications?lid={student.lid}").status_code == 401

    again = runner.invoke(
        args=[
            "privacy",
            "pseudonymise",
            "--tenant",
            worked["tenant"],
            "--user",
            pseudonym,
            "--yes",
        ]
    )
    assert again.exit_code == 0 and pseudonym in again.output  # stable pseudonym


def test_cli_erase_removes_the_person_and_keeps_others(app, runner, worked):
    user_id = worked["user_id"]
    other_sub = worked["other"].sub
    stored = _stored_names(app, user_id)
    result = runner.invoke(
        args=[
            "privacy",
            "erase",
            "--tenant",
            worked["tenant"],
            "--user",
            worked["student"].sub,
            "--yes",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Erased (pseudonym pseudonym-" in result.output
    assert not any(name in _files(app) for name in stored)
    with app.app_context():
        assert db.session.get(User, user_id) is None
        for model, column in [
            (Application, Application.student_id),
            (Engagement, Engagement.student_id),
            (HourLog, HourLog.student_id),
        ]:
            assert (
                db.session.scalar(select(func.count()).select_from(model).where(column == user_id))
                == 0
            )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Deliverable)
                .where(Deliverable.engagement_id == worked["engagement_id"])
            )
            == 0
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(CompetencyRating)
                .join(SupervisorEvaluation)
                .where(SupervisorEvaluation.engagement_id == worked["engagement_id"])
            )
            == 0
        )
        # The other student is untouched.
        other = db.session.scalar(select(User).where(User.sub == other_sub))
        assert other is not None and other.email
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.student_id == other.id)
            )
            == 1
        )
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == other.tenant_id)
        ).all()
        text = json.dumps([[e.actor, e.detail] for e in entries])
        assert worked["email"] not in text and worked["name"] not in text
        erased = [e for e in entries if e.action == "student.erase"]
        assert len(erased) == 1 and erased[0].detail["rows_deleted"]["lti_user"] == 1


def test_cli_refuses_unknown_people(runner, worked):
    result = runner.invoke(
        args=["privacy", "export", "--tenant", worked["tenant"], "--user", "nobody", "x.zip"]
    )
    assert result.exit_code != 0 and "Nobody with LMS user id 'nobody'" in result.output
    result = runner.invoke(args=["privacy", "erase", "--tenant", "No Such U", "--user", "x"])
    assert result.exit_code != 0 and "There is no tenant named 'No Such U'" in result.output


def _required_mention(metadata):
    """A (table, column) where another person's row must name someone (non-null)."""
    for ref in schema.user_references(metadata):
        if not ref.owner and not ref.column.nullable and "student_id" in ref.table.c:
            return ref.table, ref.column
    return None


def test_erase_is_refused_when_others_records_need_the_person(app, worked):
    """A non-null reference from someone else's row (e.g. a note's author) blocks erasure
    before anything changes; pseudonymisation still works."""
    from sqlalchemy import insert

    metadata = schema.load_all_models()
    found = _required_mention(metadata)
    assert found is not None, "no table names a second person with a non-null column"
    table, column = found
    with app.app_context():
        user = db.session.get(User, worked["user_id"])
        other = db.session.scalar(select(User).where(User.sub == worked["other"].sub))
        values = {"tenant_id": user.tenant_id, "student_id": other.id, column.name: user.id}
        for col in table.columns:  # fill the other required columns with plain values
            if col.name in values or col.primary_key or col.nullable or col.default is not None:
                continue
            values[col.name] = "x" if isinstance(col.type, String) else dt.datetime(2026, 1, 1)
        db.session.execute(insert(table).values(values))
        db.session.commit()
        with pytest.raises(subject.PolicyViolationError) as refused:
            subject.erase(Actor(user.tenant_id, "tests"), user)
        db.session.rollback()
        assert refused.value.reason == "erase_blocked"
        assert f"{table.name}.{column.name} (1)" in refused.value.message
        assert db.session.get(User, worked["user_id"]).email == worked["email"]  # unchanged
        person = db.session.get(User, worked["user_id"])
        outcome = subject.pseudonymise(Actor(person.tenant_id, "tests"), person)
        db.session.commit()
        assert outcome.pseudonym.startswith("pseudonym-")


# --- the admin page ------------------------------------------------------------------------------


def _admin(driver, platform, sub: str = "admin-privacy"):
    lti = driver(platform)
    launched = lti.launch(sub=sub, role="admin", course=None, name="Ada Admin")
    assert launched.home.status_code == 200
    return lti.client, launched.lid


def _choose(client, lid: str, person: str, action: str):
    page = client.get(f"/admin/privacy?lid={lid}")
    assert page.status_code == 200
    return client.post(
        "/admin/privacy",
        data={"lid": lid, "csrf_token": csrf_token(page), "person": person, "action": action},
    )


def _run(client, lid: str, confirm_page, **extra):
    text = confirm_page.get_data(as_text=True)
    user_id = re.search(r'name="user_id" type="hidden" value="(\d+)"', text).group(1)
    action = re.search(r'name="action" type="hidden" value="(\w+)"', text).group(1)
    data = {
        "lid": lid,
        "csrf_token": csrf_token(confirm_page),
        "user_id": user_id,
        "action": action,
        "form": re.search(r'name="form" value="(\w+)"', text).group(1),  # the confirm step
    }
    return client.post("/admin/privacy", data={**data, **extra})


def test_admin_page_exports_after_a_confirmation(app, driver, school, worked):
    client, lid = _admin(driver, school.platform)
    confirm = _choose(client, lid, worked["email"].upper(), "export")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200, text[:800]
    assert "Export " in text and worked["email"] in text
    assert re.search(r"hour log</th><td>2<", text)
    download = _run(client, lid, confirm)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        data = json.loads(archive.read("data.json"))
        assert len([n for n in archive.namelist() if n.startswith("files/")]) == 2
    assert data["person"]["sub"] == worked["student"].sub
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "student.export")
            .order_by(AuditEntry.id.desc())
        )
        assert "Ada Admin" in entry.actor and entry.detail["user_id"] == worked["user_id"]


def test_admin_page_pseudonymises_only_when_confirmed(app, driver, school, worked):
    client, lid = _admin(driver, school.platform)
    other_sub = worked["other"].sub
    confirm = _choose(client, lid, other_sub, "pseudonymise")
    assert confirm.status_code == 200
    unconfirmed = _run(client, lid, confirm)
    assert unconfirmed.status_code == 422
    assert "Tick this box to confirm" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.sub == other_sub)) is not None
    done = _run(client, lid, confirm, confirm="y")
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The person is pseudonymized" in page and "pseudonym-" in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.sub == other_sub)) is None
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "student.pseudonymise")
            .order_by(AuditEntry.id.desc())
        )
        assert "Ada Admin" in entry.actor


def test_admin_page_refusals(app, driver, school, make_platform, worked):
    client, lid = _admin(driver, school.platform)
    # Positive control first: the page works for the administrator.
    assert _choose(client, lid, worked["email"], "erase").status_code == 200
    # Without the CSRF token nothing happens.
    resp = client.post(
        "/admin/privacy", data={"lid": lid, "person": worked["email"], "action": "erase"}
    )
    assert resp.status_code == 400 and 'data-reason="csrf"' in resp.get_data(as_text=True)
    # Someone unknown here (or at another institution) cannot be found.
    elsewhere = driver(make_platform()).launch(sub="far-away", role="student")
    assert elsewhere.home.status_code == 200
    missing = _choose(client, lid, "far-away", "export")
    assert missing.status_code == 422
    assert "Nobody with that email address or LMS user id" in missing.get_data(as_text=True)
    with app.app_context():
        far = db.session.scalar(select(User).where(User.sub == "far-away"))
    page = client.get(f"/admin/privacy?lid={lid}")
    other_tenant = client.post(
        "/admin/privacy",
        data={
            "lid": lid,
            "csrf_token": csrf_token(page),
            "form": "confirm",
            "user_id": far.id,
            "action": "export",
        },
    )
    assert other_tenant.status_code == 404
    # Administrators do not erase themselves here.
    confirm = _choose(client, lid, "admin-privacy", "erase")
    refused = _run(client, lid, confirm, confirm="y")
    assert refused.status_code == 422 and 'data-reason="self"' in refused.get_data(as_text=True)
    # A student does not reach the page at all.
    student = worked["student"]
    assert student.client.get(f"/admin/privacy?lid={student.lid}").status_code == 403


def test_pseudonymising_an_advisor_renames_their_decisions(
    app, runner, school, worked, seed_listing
):
    """Columns that record who acted ("… (user N)") name the pseudonym afterwards."""
    from internships.work.services.applications import decide_application
    from tests.internships.work.helpers import apply

    advisor = school.person("advisor")
    applicant = school.person("student")
    listing = seed_listing(school.tenant_id, title="Third sprint")
    with app.app_context():
        actor = advisor.ctx().actor
        application = apply(applicant.ctx(), listing)
        decide_application(actor, application.id, "decline", by_advisor=True)
        db.session.commit()
        application_id = application.id
        assert db.session.get(Application, application_id).decided_by == actor.name
    args = ["privacy", "pseudonymise", "--tenant", worked["tenant"], "--user", advisor.sub]
    result = runner.invoke(args=[*args, "--yes"])
    assert result.exit_code == 0, result.output
    pseudonym = re.search(r"Pseudonymized as (pseudonym-\w+)", result.output).group(1)
    with app.app_context():
        decided_by = db.session.get(Application, application_id).decided_by
        assert decided_by.startswith(pseudonym) and "(user " in decided_by
        assert actor.name not in decided_by


def test_short_identifiers_only_replace_whole_values():
    """Moodle's LMS user ids are small numbers: "2" must not become a pseudonym inside "2B"."""
    value = {"sub": "2", "room": "Room 2B", "notes": ["mail amara@example.edu today"]}
    scrubbed = erasure._scrub(value, ["amara@example.edu", "2"], "pseudonym-x")
    assert scrubbed == {
        "sub": "pseudonym-x",
        "room": "Room 2B",
        "notes": ["mail pseudonym-x today"],
    }
