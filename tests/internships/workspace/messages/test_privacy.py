"""The conversation in export and erasure: the student's export holds every message of their
engagements and the files attached; pseudonymising them clears the texts and deletes the
files; erasing them deletes the messages, read marks and email batches with the engagement;
a faculty member erased leaves their messages in the student's record under a role, not a
name."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from sqlalchemy import func, select

from internships.workspace.messages.emails import send_message_emails
from internships.workspace.messages.models import (
    MessageEmailBatch,
    MessageParticipant,
    MessageRead,
    WorkspaceMessage,
)
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import User, utcnow
from lti_tool.privacy import subject
from tests.internships.work.helpers import engaged

from .helpers import PDF, messages_of, post, public_client, supervisor_path, supervisor_post


def _talk(app, world) -> int:
    engagement_id = engaged(app, world)
    assert (
        post(world["student"], engagement_id, "Student's note", (PDF, "mine.pdf")).status_code
        == 303
    )
    supervisor_post(public_client(app), supervisor_path(app, engagement_id), "Supervisor's reply")
    assert post(world["faculty"], engagement_id, "Instructor's remark").status_code == 303
    return engagement_id


def _count(model, engagement_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(model).where(model.engagement_id == engagement_id)
        )
        or 0
    )


def test_the_students_export_holds_the_conversation_and_its_files(app, world):
    engagement_id = _talk(app, world)
    with app.app_context():
        user = db.session.get(User, world["student"].user_id)
        archive, counts = subject.export_zip(Actor.cli(user.tenant_id, "privacy export"), user)
        db.session.rollback()
    assert counts["workspace_message"] == 3
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        data = json.loads(zipped.read("data.json"))
        bodies = [row["body"] for row in data["records"]["workspace_message"]]
        assert bodies == ["Student's note", "Supervisor's reply", "Instructor's remark"]
        files = [f for f in data["files"] if f["table"] == "workspace_message"]
        assert len(files) == 1 and zipped.read(files[0]["file"]) == PDF
    assert messages_of(app, engagement_id)[0].filename == "mine.pdf"


def test_pseudonymising_clears_the_texts_and_files(app, world):
    engagement_id = _talk(app, world)
    stored = messages_of(app, engagement_id)[0].file_path
    with app.app_context():
        user = db.session.get(User, world["student"].user_id)
        subject.pseudonymise(Actor.cli(user.tenant_id, "privacy pseudonymise"), user)
        db.session.commit()
    rows = messages_of(app, engagement_id)
    assert len(rows) == 3
    assert [m.body for m in rows] == ["", "", ""]
    assert rows[0].file_path is None and rows[0].filename == ""
    assert rows[0].author_name == "Former student"
    assert stored
    from internships.work.services.uploads import uploads_dir

    with app.app_context():
        assert not (uploads_dir() / stored).exists()


def test_erasing_the_student_deletes_the_conversation(app, world):
    engagement_id = _talk(app, world)
    with app.app_context():
        send_message_emails(
            now=utcnow() + dt.timedelta(minutes=10), tenant_id=world["school"].tenant_id
        )
        assert _count(MessageEmailBatch, engagement_id) > 0
        assert _count(MessageRead, engagement_id) > 0
        assert _count(MessageParticipant, engagement_id) == 1
        user = db.session.get(User, world["student"].user_id)
        subject.erase(Actor.cli(user.tenant_id, "privacy erase"), user)
        db.session.commit()
        for model in (WorkspaceMessage, MessageRead, MessageParticipant, MessageEmailBatch):
            assert _count(model, engagement_id) == 0, model


def test_erasing_a_faculty_member_keeps_their_messages_under_a_role(app, world):
    engagement_id = _talk(app, world)
    with app.app_context():
        faculty = db.session.get(User, world["faculty"].user_id)
        subject.erase(Actor.cli(faculty.tenant_id, "privacy erase"), faculty)
        db.session.commit()
    rows = messages_of(app, engagement_id)
    assert [(m.author_kind, m.author_name, m.author_id) for m in rows][2] == (
        "faculty",
        "Former instructor",
        None,
    )
    assert rows[2].body == "Instructor's remark"  # part of the student's record
    with app.app_context():
        assert _count(MessageParticipant, engagement_id) == 0
