"""A credit grade lands only in the credit column. Real launches from the sandbox LMS (the
instructor also opens Career Credit from another graded link, "Week 5 quiz"), placement
through the tool's Deep Linking picker, awards through HTTP, delivery through the outbox, and
the sandbox's gradebook read back: the credit column gets the grade and the quiz keeps its
score. Also: the tool's own column without Deep Linking, a deleted credit column, the credit
item placed twice, and the repair of grades an earlier version sent to a quiz's column."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

import pytest
import requests
from sqlalchemy import select

from credit.models import CreditAward, MispostedGrade
from credit.services.policy import get_policy
from lti_tool import jobs
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.jobs.delivery import RetryPolicy
from lti_tool.lti import ags, services_client
from lti_tool.models import Registration
from lti_tool.sandbox.models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxLineItem,
    SandboxPerson,
    SandboxResourceLink,
)
from lti_tool.sandbox.seed import TERM, stable_id
from tests.conftest import sandbox_launch

from .conftest import give_work

FAST = RetryPolicy(base_s=0.05, cap_s=0.5)


class Visitor:
    """One person's browser, launched from one link of the course."""

    def __init__(self, app: Any, sandbox: Any, person: str, course: str, link: str | None = None):
        self.app, self.client = app, app.test_client()
        self.launched = sandbox_launch(
            self.client, sandbox, course=course, person=person, resource_link=link
        )
        self.lid = self.launched.lid

    def ctx(self):
        with self.app.app_context():
            ctx = load_launch(self.lid)
            assert ctx is not None
            return ctx

    def get(self, path: str, **params: Any) -> str:
        resp = self.client.get(path, query_string={"lid": self.lid, **params})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        return resp.get_data(as_text=True)

    def post(self, path: str, data: dict[str, Any]):
        return self.client.post(path, data={**data, "lid": self.lid})


def _hidden(page: str, action: str, name: str) -> str:
    start = page.index(f'action="{action}')
    form = page[start : page.index("</form>", start)]
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form).group(1)


@pytest.fixture
def course(app, sandbox) -> str:
    """A new sandbox course of its own (Priya teaches; Amara and Benjamin learn), graded on
    points out of 100, so that no other test's placements share its gradebook."""
    key = f"col-{secrets.token_hex(3)}"
    with app.app_context():
        name, start, end = TERM
        c = SandboxCourse(
            key=key,
            context_id=stable_id(f"course:{key}"),
            label=key.upper(),
            title=f"Seminar {key}",
            term_name=name,
            term_start=start,
            term_end=end,
        )
        db.session.add(c)
        db.session.add(
            SandboxResourceLink(
                resource_link_id=stable_id(f"course-navigation:{key}"),
                course=c,
                kind="course_navigation",
                title="Career Credit",
            )
        )
        db.session.flush()
        people = {
            p.key: p
            for p in db.session.scalars(
                select(SandboxPerson).where(
                    SandboxPerson.key.in_(["priya-raman", "amara-okafor", "benjamin-tran"])
                )
            )
        }
        for person, role in (
            ("priya-raman", "instructor"),
            ("amara-okafor", "learner"),
            ("benjamin-tran", "learner"),
        ):
            db.session.add(SandboxEnrolment(course_id=c.id, person_id=people[person].id, role=role))
        db.session.commit()
    yield key
    with app.app_context():  # this course's queued grades are no other test's business
        db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.status != "sent"))
        db.session.commit()


def place(app, sandbox, course: str, *chosen: str) -> list[str]:
    """Priya places items with the tool's Deep Linking picker; the sandbox's answer names
    the resource links it created."""
    faculty = Visitor(app, sandbox, "priya-raman", course)
    client = faculty.client
    picker = sandbox_launch(
        client, sandbox, course=course, person="priya-raman", message="deep_link"
    )
    page = picker.home.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/lti/deep_link",
        data={"csrf_token": csrf, "lid": picker.lid, **dict.fromkeys(chosen, "y")},
    ).get_data(as_text=True)
    return_url = html.unescape(re.search(r'action="([^"]+)"', answer).group(1))
    token = re.search(r'name="JWT" value="([^"]+)"', answer).group(1)
    placed = client.post(return_url, data={"JWT": token})
    assert placed.status_code == 200, placed.get_data(as_text=True)[:300]
    return re.findall(r'data-resource-link-id="([^"]+)"', placed.get_data(as_text=True))[
        -len(chosen) :
    ]


def add_quiz(app, sandbox, course: str) -> tuple[str, int]:
    """'Week 5 quiz', out of 10: an assignment of the course that launches the tool."""
    client = app.test_client()
    resp = client.post(
        f"/sandbox/courses/{course}/assignments",
        data={"title": "Week 5 quiz", "points": "10"},
        base_url=sandbox.platform_url,
    )
    assert resp.status_code == 303
    with app.app_context():
        item = db.session.scalar(
            select(SandboxLineItem)
            .join(SandboxCourse)
            .where(SandboxCourse.key == course, SandboxLineItem.label == "Week 5 quiz")
        )
        return item.resource_link.resource_link_id, item.id


def gradebook(sandbox, course: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The sandbox's results by (column label, person)."""
    rows = requests.get(sandbox.api_url(course, "attempts.json"), timeout=10).json()["results"]
    return {(r["label"], r["person"]): r for r in rows}


def quiz_score(app, sandbox, course: str, quiz_item: int, person: str, score: float) -> None:
    """The quiz's own grade for a student, as the LMS's gradebook holds it."""
    with app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.issuer == sandbox.issuer))
        resp = services_client.request(
            reg,
            "POST",
            sandbox.api_url(course, "line_items", str(quiz_item), "scores"),
            (ags.SCOPE_SCORE,),
            "application/json",
            json={
                "userId": stable_id(f"person:{person}"),
                "scoreGiven": score,
                "scoreMaximum": 10,
                "activityProgress": "Completed",
                "gradingProgress": "FullyGraded",
                "timestamp": "2026-10-01T10:00:00.000+00:00",
            },
            headers={"Content-Type": ags.SCORE_MEDIA},
        )
        assert resp.status_code == 200, resp.text


def ready_student(app, sandbox, course: str, person: str = "amara-okafor") -> Visitor:
    student = Visitor(app, sandbox, person, course)
    with app.app_context():
        ctx = student.ctx()
        give_work(ctx, hours=50)
        policy = get_policy(ctx.tenant_id, int(ctx.course_id or 0))
        policy.grading_mode, policy.points_possible = "points", 100
        db.session.commit()
    return student


def award(faculty: Visitor, student: Visitor, score: str = "85"):
    student_id = student.ctx().user_id
    page = faculty.get(f"/credit/students/{student_id}")
    action = f"/credit/students/{student_id}"
    return faculty.post(
        action,
        {
            "form": "award",
            "csrf_token": _hidden(page, action, "csrf_token"),
            "idempotency_key": _hidden(page, action, "idempotency_key"),
            "credits": "1",
            "score": score,
            "comment": "Strong analysis work.",
        },
    )


def deliver(app) -> None:
    ags.forget_owned_columns()
    jobs.drain(app, policy=FAST, wait_s=5)


def test_award_after_a_launch_from_another_graded_link_lands_in_the_placed_credit_column(
    app, sandbox, course
):
    _board, credit_link = place(app, sandbox, course, "board", "credit")
    quiz_link, quiz_item = add_quiz(app, sandbox, course)
    student = ready_student(app, sandbox, course)
    quiz_score(app, sandbox, course, quiz_item, "amara-okafor", 7)
    # Priya opens Career Credit once from the credit item, then from the quiz, and awards.
    Visitor(app, sandbox, "priya-raman", course, link=credit_link)
    faculty = Visitor(app, sandbox, "priya-raman", course, link=quiz_link)
    assert faculty.ctx().ags_lineitem_url.endswith(f"/line_items/{quiz_item}")

    # The review page names the column before the award button.
    review = faculty.get(f"/credit/students/{student.ctx().user_id}")
    assert "the course's <strong>“Micro-internship credit”</strong> column (out of 100)" in review
    resp = award(faculty, student)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    deliver(app)

    book = gradebook(sandbox, course)
    credit = book[("Micro-internship credit", "amara-okafor")]
    assert (credit["score_given"], credit["score_maximum"]) == (85, 100)
    assert (credit["resource_id"], credit["tag"]) == (ags.OWN_RESOURCE_ID, ags.OWN_TAG)
    assert book[("Week 5 quiz", "amara-okafor")]["score_given"] == 7  # untouched
    with app.app_context():
        row = db.session.scalar(
            select(SandboxLineItem)
            .join(SandboxResourceLink)
            .where(SandboxResourceLink.resource_link_id == credit_link)
        )
        award_row = db.session.scalar(  # the newest: the sandbox's people outlive one test
            select(CreditAward)
            .where(CreditAward.student_id == student.ctx().user_id)
            .order_by(CreditAward.id.desc())
            .limit(1)
        )
        assert award_row.lineitem_url == sandbox.api_url(course, "line_items", str(row.id))
    # Now the page names the column it read from the LMS.
    again = faculty.get(f"/credit/students/{student.ctx().user_id}")
    assert "the gradebook column <strong>“Micro-internship credit”, out of 100</strong>" in again


def test_without_deep_linking_the_tool_creates_its_own_column_and_the_quiz_is_untouched(
    app, sandbox, course
):
    quiz_link, quiz_item = add_quiz(app, sandbox, course)
    student = ready_student(app, sandbox, course)
    quiz_score(app, sandbox, course, quiz_item, "amara-okafor", 9)
    faculty = Visitor(app, sandbox, "priya-raman", course, link=quiz_link)

    resp = award(faculty, student, "90")
    assert resp.status_code == 303
    told = faculty.get(f"/credit/students/{student.ctx().user_id}")
    assert "Career Credit created the gradebook column" in told
    deliver(app)

    book = gradebook(sandbox, course)
    assert book[("Micro-internship credit", "amara-okafor")]["score_given"] == 90
    assert book[("Week 5 quiz", "amara-okafor")]["score_given"] == 9
    with app.app_context():
        columns = db.session.scalars(
            select(SandboxLineItem).join(SandboxCourse).where(SandboxCourse.key == course)
        ).all()
        assert sorted(c.label for c in columns) == ["Micro-internship credit", "Week 5 quiz"]


def test_a_deleted_credit_column_is_replaced_and_the_instructor_is_told(app, sandbox, course):
    (credit_link,) = place(app, sandbox, course, "credit")
    student = ready_student(app, sandbox, course)
    other = ready_student(app, sandbox, course, "benjamin-tran")
    faculty = Visitor(app, sandbox, "priya-raman", course, link=credit_link)
    assert award(faculty, student).status_code == 303
    deliver(app)
    with app.app_context():  # someone deletes the column in the LMS gradebook
        placed = db.session.scalar(
            select(SandboxLineItem)
            .join(SandboxResourceLink)
            .where(SandboxResourceLink.resource_link_id == credit_link)
        )
        old_url = sandbox.api_url(course, "line_items", str(placed.id))
    with app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.issuer == sandbox.issuer))
        assert services_client.request(reg, "DELETE", old_url, (ags.SCOPE_LINEITEM,), "*/*").ok

    faculty = Visitor(app, sandbox, "priya-raman", course)  # from the course navigation
    assert award(faculty, other, "70").status_code == 303
    page = faculty.get(f"/credit/students/{other.ctx().user_id}")
    assert "was deleted from the gradebook" in page
    assert "Career Credit created the gradebook column" in page
    deliver(app)
    book = gradebook(sandbox, course)
    assert book[("Micro-internship credit", "benjamin-tran")]["score_given"] == 70
    assert ("Micro-internship credit", "amara-okafor") not in book  # went with the old column
    with app.app_context():
        columns = db.session.scalars(
            select(SandboxLineItem).join(SandboxCourse).where(SandboxCourse.key == course)
        ).all()
        assert [(c.label, c.resource_id, c.resource_link_id) for c in columns] == [
            ("Micro-internship credit", ags.OWN_RESOURCE_ID, None)  # created through AGS
        ]


def test_credit_item_placed_twice_grades_go_to_the_first_column_and_the_page_says_so(
    app, sandbox, course
):
    (first_link,) = place(app, sandbox, course, "credit")
    (second_link,) = place(app, sandbox, course, "credit")
    student = ready_student(app, sandbox, course)
    faculty = Visitor(app, sandbox, "priya-raman", course, link=second_link)

    assert award(faculty, student).status_code == 303
    page = html.unescape(faculty.get(f"/credit/students/{student.ctx().user_id}"))
    assert "This course has 2 'Micro-internship credit' columns" in page
    assert "only the first one placed gets grades" in page
    deliver(app)
    with app.app_context():
        first = db.session.scalar(
            select(SandboxLineItem)
            .join(SandboxResourceLink)
            .where(SandboxResourceLink.resource_link_id == first_link)
        )
        first_url = sandbox.api_url(course, "line_items", str(first.id))
    results = [r for (label, who), r in gradebook(sandbox, course).items() if who == "amara-okafor"]
    assert [r["line_item"] for r in results] == [first_url]


def test_grades_an_earlier_version_sent_to_a_quiz_are_listed_and_reposted(app, sandbox, course):
    (credit_link,) = place(app, sandbox, course, "credit")
    quiz_link, quiz_item = add_quiz(app, sandbox, course)
    student = ready_student(app, sandbox, course)
    faculty = Visitor(app, sandbox, "priya-raman", course, link=quiz_link)
    quiz_url = sandbox.api_url(course, "line_items", str(quiz_item))
    # What the earlier version did: an award aimed at the launch's line item (the quiz),
    # its score posted there, the outbox row marked sent.
    ctx = faculty.ctx()
    with app.app_context():
        from credit.services import awards

        made = awards.award_credit(
            ctx,
            student.ctx().user_id,
            awards.AwardInput(1, 85, "Good.", awards.new_idempotency_key()),
            lineitem_url=quiz_url,
        )
        award_id = made.id
        db.session.commit()
        msg = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.source == f"credit_award:{award_id}")
        )
        msg.status = jobs.SENT
        db.session.commit()
    quiz_score(app, sandbox, course, quiz_item, "amara-okafor", 8.5)  # 85/100 scaled to 10

    column_page = faculty.get("/credit/column")
    check = faculty.post(
        "/credit/column/check",
        {"csrf_token": _hidden(column_page, "/credit/column/check", "csrf_token")},
    )
    assert check.status_code == 303
    page = faculty.get("/credit/column")
    assert "1 grade sent to another column found" in page
    assert "cannot restore the scores these grades replaced" in page
    row = re.search(r"Amara Okafor</th>(.*?)</tr>", page, re.S).group(1)
    assert "“Week 5 quiz” (out of 10)" in row and "Not re-posted yet" in row
    home = faculty.get("/home/faculty")
    assert "1 credit grade sent to another assignment's column" in home

    repost = faculty.post(
        "/credit/column/repost",
        {"csrf_token": _hidden(page, "/credit/column/repost", "csrf_token")},
    )
    assert repost.status_code == 303
    deliver(app)
    book = gradebook(sandbox, course)
    assert book[("Micro-internship credit", "amara-okafor")]["score_given"] == 85
    assert "Re-posted" in faculty.get("/credit/column")
    with app.app_context():
        found = db.session.scalars(
            select(MispostedGrade).where(MispostedGrade.award_id == award_id)
        ).all()
        assert [(f.kind, f.column_label) for f in found] == [("foreign", "Week 5 quiz")]
        assert found[0].reposted_to and found[0].reposted_to != quiz_url
    # Checking again finds nothing new; the administrator sees the same list.
    again = faculty.post(
        "/credit/column/check",
        {"csrf_token": _hidden(page, "/credit/column/check", "csrf_token")},
    )
    assert again.status_code == 303
    admin = Visitor(app, sandbox, "sam-whitfield", course)
    assert "Week 5 quiz" in admin.get("/credit/column/repairs")
    # An operator's check across the tenant lists it too, without names.
    out = app.test_cli_runner().invoke(
        args=["credit", "find-misposted", "--tenant", str(ctx.tenant_id)]
    )
    assert out.exit_code == 0, out.output
    assert (
        f"user {student.ctx().user_id}, grade 85 / 100 in 'Week 5 quiz' (re-posted)" in out.output
    )
    assert "Amara" not in out.output
    assert credit_link


def test_a_queued_score_for_the_quiz_is_refused_and_retry_sends_it_to_the_credit_column(
    app, sandbox, course
):
    (credit_link,) = place(app, sandbox, course, "credit")
    quiz_link, quiz_item = add_quiz(app, sandbox, course)
    student = ready_student(app, sandbox, course)
    quiz_score(app, sandbox, course, quiz_item, "amara-okafor", 6)
    faculty = Visitor(app, sandbox, "priya-raman", course, link=quiz_link)
    quiz_url = sandbox.api_url(course, "line_items", str(quiz_item))
    with app.app_context():  # a row the earlier version queued for the quiz's column
        from credit.services import awards

        made = awards.award_credit(
            faculty.ctx(),
            student.ctx().user_id,
            awards.AwardInput(1, 85, "", awards.new_idempotency_key()),
            lineitem_url=quiz_url,
        )
        award_id = made.id
        db.session.commit()
    deliver(app)
    assert gradebook(sandbox, course)[("Week 5 quiz", "amara-okafor")]["score_given"] == 6
    page = faculty.get(f"/credit/students/{student.ctx().user_id}")
    assert "is not Career Credit&#39;s" in page
    with app.app_context():
        msg = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.source == f"credit_award:{award_id}")
        )
        assert msg.status == jobs.FAILED
        retry_action = f"/credit/sync/{msg.id}/retry"
    resp = faculty.post(retry_action, {"csrf_token": _hidden(page, retry_action, "csrf_token")})
    assert resp.status_code == 303
    deliver(app)
    book = gradebook(sandbox, course)
    assert book[("Micro-internship credit", "amara-okafor")]["score_given"] == 85
    assert book[("Week 5 quiz", "amara-okafor")]["score_given"] == 6
    assert credit_link
