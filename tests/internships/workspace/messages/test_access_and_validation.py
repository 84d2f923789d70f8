"""Who may read a conversation and its files: a student only their own, faculty only their
course's, a supervisor's link only its engagement's; refused input (an empty or too long
message, a file of a refused type) answers 422 with the form and saves nothing."""

from __future__ import annotations

import re
from pathlib import Path

from internships.work.models import Engagement
from internships.workspace.messages.models import BODY_MAX
from lti_tool.extensions import db
from tests.helpers import csrf_token, launch_csrf, reason
from tests.internships.work.helpers import engaged

from .helpers import (
    PDF,
    count_messages,
    messages_of,
    page_of,
    post,
    public_client,
    supervisor_path,
    supervisor_post,
)


def _uploads(app) -> set[str]:
    configured = app.config["UPLOADS_DIR"]
    base = Path(configured) if configured else Path(app.instance_path) / "uploads"
    return {str(p) for p in base.rglob("*") if p.is_file()} if base.exists() else set()


def test_a_student_cannot_read_another_students_conversation_or_file(app, world):
    engagement_id = engaged(app, world)
    assert post(world["student"], engagement_id, "Mine", (PDF, "notes.pdf")).status_code == 303
    message = messages_of(app, engagement_id)[0]
    other = world["other"]
    page = page_of(other, engagement_id)
    assert page.status_code == 404
    record = other.client.get(f"/workspace/messages/engagements/{engagement_id}?lid={other.lid}")
    assert record.status_code == 404
    got = other.client.get(f"/workspace/messages/files/{message.id}?lid={other.lid}")
    assert got.status_code == 404 and PDF not in got.data
    refused = other.client.post(
        f"/work/engagements/{engagement_id}?lid={other.lid}",
        data={
            "lid": other.lid,
            "csrf_token": launch_csrf(app, other.lid),
            "form": "messages.send",
            "body": "Not my engagement",
        },
    )
    assert refused.status_code == 404
    assert count_messages(app, engagement_id) == 1
    # the positive control: the student's own file
    own = world["student"].client.get(
        f"/workspace/messages/files/{message.id}?lid={world['student'].lid}"
    )
    assert own.status_code == 200 and own.data == PDF


def test_faculty_of_another_course_cannot_read_the_conversation(app, world):
    engagement_id = engaged(app, world)
    post(world["student"], engagement_id, "For course one", (PDF, "notes.pdf"))
    message = messages_of(app, engagement_id)[0]
    assert page_of(world["faculty"], engagement_id).status_code == 200  # control
    stranger = world["school"].person("faculty", course="course-2")
    assert page_of(stranger, engagement_id).status_code == 404
    lid = stranger.lid
    assert (
        stranger.client.get(
            f"/workspace/messages/engagements/{engagement_id}?lid={lid}"
        ).status_code
        == 404
    )
    assert (
        stranger.client.get(f"/workspace/messages/files/{message.id}?lid={lid}").status_code == 404
    )
    home = stranger.client.get(f"/home/faculty?lid={lid}").get_data(as_text=True)
    assert "No messages yet in this course" in home and "unread message" not in home
    listing = stranger.client.get(f"/workspace/messages/conversations?lid={lid}")
    assert listing.status_code == 200
    assert f"/workspace/messages/engagements/{engagement_id}" not in listing.get_data(as_text=True)
    assert "For course one" not in listing.get_data(as_text=True)


def test_a_supervisor_link_reaches_its_engagement_only(app, world, seed_listing):
    first = engaged(app, world)
    post(world["student"], first, "First engagement's file", (PDF, "one.pdf"))
    one = messages_of(app, first)[0]
    # a second engagement of the other student, on another listing
    world2 = {
        **world,
        "student": world["other"],
        "listing": seed_listing(world["school"].tenant_id),
    }
    second = engaged(app, world2)
    post(world["other"], second, "Second engagement's file", (PDF, "two.pdf"))
    two = messages_of(app, second)[0]

    browser = public_client(app)
    path = supervisor_path(app, first)
    token = path.rsplit("/", 1)[1]
    assert browser.get(f"/workspace/messages/{token}/files/{one.id}").status_code == 200
    assert browser.get(f"/workspace/messages/{token}/files/{two.id}").status_code == 404
    record = browser.get(f"/workspace/messages/{token}/all").get_data(as_text=True)
    assert "First engagement" in record and "Second engagement" not in record
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    resp = browser.get(f"/workspace/messages/{tampered}/files/{one.id}")
    assert resp.status_code == 404 and reason(resp) == "invalid"
    resp = browser.get(f"/workspace/{tampered}")
    assert resp.status_code == 404 and reason(resp) == "invalid"
    # a link stops with its engagement: no reading, no posting
    with app.app_context():
        engagement = db.session.get(Engagement, first)
        assert engagement is not None
        engagement.status = "cancelled"
        db.session.commit()
    assert browser.get(f"/workspace/messages/{token}/all").status_code == 410
    assert browser.get(f"/workspace/messages/{token}/files/{one.id}").status_code == 410


def test_an_empty_or_too_long_message_is_refused_and_nothing_saved(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    empty = post(student, engagement_id, "   \n  ")
    assert empty.status_code == 422
    text = empty.get_data(as_text=True)
    assert "Write a message." in text and 'aria-invalid="true"' in text
    long_body = "x" * (BODY_MAX + 1)
    too_long = post(student, engagement_id, long_body)
    assert too_long.status_code == 422
    assert "at most 5,000 characters; this one has 5,001" in too_long.get_data(as_text=True)
    assert long_body in too_long.get_data(as_text=True)  # what was typed is still there
    assert count_messages(app, engagement_id) == 0
    assert post(student, engagement_id, "x" * BODY_MAX).status_code == 303  # the limit itself


def test_a_refused_file_saves_neither_message_nor_file(app, world):
    engagement_id = engaged(app, world)
    before = _uploads(app)
    resp = post(
        world["student"], engagement_id, "Here is my tool", (b"MZ\x90\x00binary", "tool.exe")
    )
    assert resp.status_code == 422
    assert "That type of file is not accepted" in resp.get_data(as_text=True)
    renamed = post(world["student"], engagement_id, "A PDF?", (b"not a pdf at all", "report.pdf"))
    assert renamed.status_code == 422
    assert count_messages(app, engagement_id) == 0
    assert _uploads(app) == before
    browser = public_client(app)
    path = supervisor_path(app, engagement_id)
    refused = supervisor_post(browser, path, "", (PDF, "plan.pdf"))
    assert refused.status_code == 422 and "Write a message." in refused.get_data(as_text=True)
    assert count_messages(app, engagement_id) == 0 and _uploads(app) == before


def test_a_post_without_its_csrf_token_is_refused(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    page = page_of(student, engagement_id)
    assert re.search(r'name="form" value="messages.send"', page.get_data(as_text=True))
    resp = student.client.post(
        f"/work/engagements/{engagement_id}?lid={student.lid}",
        data={"lid": student.lid, "form": "messages.send", "body": "No token"},
    )
    assert resp.status_code == 400
    assert count_messages(app, engagement_id) == 0
    ok = student.client.post(
        f"/work/engagements/{engagement_id}?lid={student.lid}",
        data={
            "lid": student.lid,
            "csrf_token": csrf_token(page),
            "form": "messages.send",
            "body": "With token",
        },
    )
    assert ok.status_code == 303 and count_messages(app, engagement_id) == 1


def test_launch_pages_are_not_held_to_the_public_limit_but_link_pages_are(app, world):
    """The record and the files of a launch count as every launched page does (a class
    behind one address reads them freely); the supervisor's link pages share the public
    limit of the supervisor's pages."""
    engagement_id = engaged(app, world)
    student = world["student"]
    limit = int(str(app.config["RATELIMIT_PUBLIC"]).split(" per minute")[0])
    url = f"/workspace/messages/engagements/{engagement_id}?lid={student.lid}"
    got = [student.client.get(url).status_code for _ in range(limit + 5)]
    assert got == [200] * (limit + 5), got
    browser = public_client(app)
    token = supervisor_path(app, engagement_id).rsplit("/", 1)[1]
    codes = [browser.get(f"/workspace/messages/{token}/all").status_code for _ in range(limit + 1)]
    assert codes[:limit] == [200] * limit and codes[limit] == 429
