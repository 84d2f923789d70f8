"""The engagement's conversation through the pages: the student posts on the engagement page,
the supervisor reads and answers with a file through the workspace link, the course's faculty
and an advisor read, follow and post, a read-only teaching assistant reads only; unread
counts in the panel's heading and on the homes; the whole conversation on one page."""

from __future__ import annotations

import re

from sqlalchemy import select

from internships.workspace.messages.models import MessageParticipant, MessageRead
from lti_tool.extensions import db
from tests.helpers import launch_csrf, reason
from tests.internships.work.helpers import engaged

from .helpers import (
    PDF,
    messages_of,
    page_of,
    post,
    public_client,
    supervisor_path,
    supervisor_post,
)


def test_student_and_supervisor_talk_with_a_file(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    resp = post(student, engagement_id, "Hello! The brief is at https://example.com/brief.")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("#messages")
    page = student.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Message sent." in page
    assert (
        '<a href="https://example.com/brief" rel="noopener noreferrer nofollow">'
        "https://example.com/brief</a>." in page
    )

    path = supervisor_path(app, engagement_id)
    browser = public_client(app)
    first = browser.get(path).get_data(as_text=True)
    assert 'Messages <span class="message-count">(1 unread)</span>' in first
    assert "Hello! The brief is at" in first
    again = browser.get(path).get_data(as_text=True)  # opening the page marked it read
    assert "unread)" not in again
    answer = supervisor_post(
        browser, path, "Welcome aboard; the plan is attached.", (PDF, "plan.pdf")
    )
    assert answer.status_code == 303
    assert "said=" in answer.headers["Location"]
    assert "Message sent." in browser.get(answer.headers["Location"]).get_data(as_text=True)

    rows = messages_of(app, engagement_id)
    assert [(m.author_kind, m.author_id is None) for m in rows] == [
        ("student", False),
        ("supervisor", True),
    ]
    assert rows[1].filename == "plan.pdf" and rows[1].content_type == "application/pdf"

    seen = page_of(student, engagement_id).get_data(as_text=True)
    assert "(1 unread)" in seen and "Welcome aboard" in seen
    link = re.search(r'href="([^"]*/workspace/messages/files/\d+[^"]*)"', seen)
    assert link, seen
    got = student.client.get(link.group(1).replace("&amp;", "&"))
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Cache-Control"] == "private, no-store"
    mine = re.search(
        r'href="(/workspace/messages/[^/"]+/files/\d+)"', browser.get(path).get_data(as_text=True)
    )
    assert mine and browser.get(mine.group(1)).data == PDF


def test_the_student_home_counts_unread_messages(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    home = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "unread message" not in home
    browser = public_client(app)
    path = supervisor_path(app, engagement_id)
    supervisor_post(browser, path, "First note.")
    supervisor_post(browser, path, "Second note.")
    home = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "2 unread messages" in home
    assert f"/work/engagements/{engagement_id}?lid={student.lid}#messages" in home.replace(
        "&amp;", "&"
    )
    page_of(student, engagement_id)
    home = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "unread message" not in home


def test_faculty_and_advisor_read_follow_and_post(app, world):
    engagement_id = engaged(app, world)
    post(world["student"], engagement_id, "A question for my instructor.")
    faculty, advisor = world["faculty"], world["advisor"]

    home = faculty.client.get(f"/home/faculty?lid={faculty.lid}").get_data(as_text=True)
    assert "1 unread message" in home and "/workspace/messages/conversations" in home
    advisor_home = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    assert "1 unread message</strong> in 1 conversation" in advisor_home
    overview = faculty.client.get(f"/work/?lid={faculty.lid}").get_data(as_text=True)
    assert '>1<span class="visually-hidden"> unread about Market research sprint' in overview
    listing = faculty.client.get(f"/workspace/messages/conversations?lid={faculty.lid}")
    assert listing.status_code == 200
    assert f"/workspace/messages/engagements/{engagement_id}" in listing.get_data(as_text=True)

    page = page_of(faculty, engagement_id).get_data(as_text=True)
    assert "A question for my instructor." in page and "Follow this conversation" in page
    resp = post(faculty, engagement_id, "", form="messages.follow")
    assert resp.status_code == 303
    assert "Stop following this conversation" in page_of(faculty, engagement_id).get_data(
        as_text=True
    )
    assert post(advisor, engagement_id, "The career center is here too.").status_code == 303
    with app.app_context():
        joined = db.session.execute(
            select(MessageParticipant.role, MessageParticipant.joined_via)
            .where(MessageParticipant.engagement_id == engagement_id)
            .order_by(MessageParticipant.id)
        ).all()
    assert [tuple(j) for j in joined] == [("faculty", "followed"), ("advisor", "posted")]
    assert post(faculty, engagement_id, "", form="messages.unfollow").status_code == 303
    assert post(faculty, engagement_id, "Noted, thanks.").status_code == 303
    kinds = [m.author_kind for m in messages_of(app, engagement_id)]
    assert kinds == ["student", "advisor", "faculty"]

    record = faculty.client.get(
        f"/workspace/messages/engagements/{engagement_id}?lid={faculty.lid}"
    ).get_data(as_text=True)
    assert "3 messages" in record and "Noted, thanks." in record


def test_a_read_only_teaching_assistant_reads_but_cannot_post(app, world):
    engagement_id = engaged(app, world)
    post(world["student"], engagement_id, "Visible to the course staff.")
    ta = world["school"].person("ta")
    page = page_of(ta, engagement_id)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Visible to the course staff." in text
    assert 'value="messages.send"' not in text and "read-only" in text
    resp = ta.client.post(
        f"/work/engagements/{engagement_id}?lid={ta.lid}",
        data={
            "lid": ta.lid,
            "csrf_token": launch_csrf(app, ta.lid),
            "form": "messages.send",
            "body": "x",
        },
    )
    assert resp.status_code == 403 and reason(resp) == "read_only"
    assert len(messages_of(app, engagement_id)) == 1
    with app.app_context():  # reading left the TA's own read mark, nothing else
        readers = db.session.scalars(
            select(MessageRead.reader).where(MessageRead.engagement_id == engagement_id)
        ).all()
        expected = {f"user:{world['student'].user_id}", f"user:{ta.user_id}"}
    assert sorted(readers) == sorted(expected)


def test_a_long_conversation_shows_the_latest_fifty_and_links_to_all(app, world):
    from internships.workspace.messages.models import WorkspaceMessage

    engagement_id = engaged(app, world)
    with app.app_context():
        from internships.work.models import Engagement

        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        db.session.add_all(
            WorkspaceMessage(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                author_kind="supervisor",
                author_name="Sam Supervisor",
                body=f"Update number {n:03d}",
            )
            for n in range(500)
        )
        db.session.commit()
    student = world["student"]
    page = page_of(student, engagement_id).get_data(as_text=True)
    assert "(500 unread)" in page
    assert "Update number 499" in page and "Update number 450" in page
    assert "Update number 449" not in page
    assert "See all 500 messages" in page
    record = student.client.get(
        f"/workspace/messages/engagements/{engagement_id}?lid={student.lid}"
    ).get_data(as_text=True)
    assert record.count('class="message"') == 500 and "Update number 000" in record
