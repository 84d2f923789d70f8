"""The course roster is kept, never read from the LMS on a page view (issue 16): the faculty home
and the credit roster show the kept members with their age; a missing or stale roster is read
by the work pool while the page renders at once; the Refresh roster button reads it in the
request; a failed read keeps the members and says what went wrong; one read runs per course at
a time; a person's entries go with their erasure.

Real signed launches from the independent test platform; the LMS's NRPS and token endpoints are
requests_mock answers shaped like NRPS 2.0 (it patches requests in every thread, the pool's
too), whose call counts say whether a page asked the LMS."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import secrets
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import requests_mock as rm
from sqlalchemy import select, update

from lti_tool.actor import Actor
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.lti import rosters
from lti_tool.lti.roster_models import RosterSnapshot
from lti_tool.models import User, utcnow
from lti_tool.privacy import subject
from tests.helpers import launch_csrf, press_refresh_roster, reason

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@dataclass
class Course:
    """One LMS course with Career Credit placed in it: its NRPS URL and its instructor's
    browser (a test client and launch id)."""

    app: Any
    platform: Any
    driver: Any
    context: str
    url: str
    client: Any
    lid: str

    def launch(self, role: str, sub: str | None = None) -> tuple[Any, str]:
        """Another person of the course launches: their browser and launch id."""
        lti = self.driver(self.platform)
        extra = {NRPS: {"context_memberships_url": self.url, "service_versions": ["2.0"]}}
        sub = sub or f"{role}-{secrets.token_hex(3)}"
        launched = lti.launch(sub=sub, role=role, course=self.context, extra=extra, follow=False)
        return lti.client, launched.lid

    def get(self, path: str = "/home/faculty", client: Any = None, lid: str | None = None):
        return (client or self.client).get(path, query_string={"lid": lid or self.lid})

    def press_refresh(self, page_path: str = "/home/faculty") -> Any:
        """Press the page's Refresh roster button, as a person does."""
        return press_refresh_roster(self.client, self.lid, page_path)

    def refresh(self) -> str:
        """The course's roster read now, as the button and the pool's job read it."""
        with self.app.app_context():
            ctx = load_launch(self.lid)
            assert ctx is not None
            return rosters.refresh_roster(ctx)

    def snapshot(self) -> RosterSnapshot | None:
        with self.app.app_context():
            ctx = load_launch(self.lid)
            assert ctx is not None
            row = db.session.scalar(
                select(RosterSnapshot).where(RosterSnapshot.course_id == ctx.course_id)
            )
            if row is not None:
                db.session.expunge(row)
            return row


def _member(sub: str, name: str, status: str = "Active") -> dict[str, Any]:
    return {
        "user_id": sub,
        "name": name,
        "email": f"{sub}@example.edu",
        "roles": [LEARNER],
        "status": status,
    }


@contextmanager
def lms(course: Course, *members: dict[str, Any], **answer: Any) -> Iterator[Any]:
    """The course's LMS answering NRPS with ``members`` (or ``answer``: status_code, exc, or a
    json callback); yields the memberships endpoint's mock (``call_count``)."""
    with rm.Mocker(real_http=True) as mock:
        mock.post(f"{course.platform.issuer}/token", json={"access_token": "tok-secret-1"})
        body = {"id": course.url, "context": {"id": course.context}, "members": list(members)}
        headers = {} if "exc" in answer else {"headers": {"Content-Type": MEMBERS}}
        yield mock.get(course.url, **(answer or {"json": body}), **headers)


def text(resp: Any) -> str:
    return html.unescape(resp.get_data(as_text=True))


@pytest.fixture
def make_course(app, make_platform, driver):
    """Factory: a course (its own school unless ``platform`` is given) whose instructor has
    launched, with no roster kept yet."""

    def make(platform: Any = None, context: str = "course-1") -> Course:
        platform = platform or make_platform()
        host = f"lms-{secrets.token_hex(3)}.example.edu"
        url = f"https://{host}/api/lti/courses/{context}/names_and_roles"
        course = Course(app, platform, driver, context, url, None, "")
        # The launch answers with the instructor's home, which would hand a roster read to the
        # work pool: the course starts with none kept and none under way.
        runner = app.config["JOB_RUNNER"]
        app.config["JOB_RUNNER"] = "off"
        try:
            course.client, course.lid = course.launch("faculty")
        finally:
            app.config["JOB_RUNNER"] = runner
        return course

    return make


def test_a_kept_roster_is_shown_without_asking_the_lms(make_course):
    course = make_course()
    ada = _member("u-ada", "Ada Lovelace")
    with lms(course, ada) as nrps:
        refreshed = course.press_refresh()
    assert refreshed.status_code == 303
    assert nrps.call_count == 1  # the button read the LMS (the mock is the LMS)

    grace = _member("u-grace", "Grace Hopper")
    with lms(course, ada, grace) as nrps:
        home = course.get()
        credit = course.get("/credit/course")
    assert nrps.call_count == 0
    assert home.status_code == 200 and credit.status_code == 200
    assert "<td>Ada Lovelace</td>" in text(home)
    assert "Grace Hopper" not in text(home)  # the LMS has her, the kept roster not yet
    assert "Read from the LMS just now." in text(home)
    assert "Ada Lovelace" in text(credit)
    assert "Read from the LMS just now." in text(credit)


def test_a_missing_roster_is_read_in_the_background_while_the_page_renders(make_course, pool):
    course = make_course()
    release = threading.Event()

    def members(request: Any, context: Any) -> dict[str, Any]:
        assert release.wait(30)  # the LMS answers only once the page has rendered
        return {"id": course.url, "members": [_member("u-ada", "Ada Lovelace")]}

    with lms(course, json=members) as nrps:
        first = course.get()
        release.set()
        assert [f.result(30) for f in pool] == ["refreshed"]
        again = course.get()
    assert first.status_code == 200
    assert "The roster is being read from the LMS — refresh in a moment." in text(first)
    assert "Ada Lovelace" not in text(first)
    assert "<td>Ada Lovelace</td>" in text(again)
    assert "Read from the LMS just now." in text(again)
    assert nrps.call_count == 1
    assert len(pool) == 1  # the second view found it fresh


def test_a_stale_roster_is_shown_with_its_age_and_read_again_in_the_background(
    app, make_course, pool
):
    course = make_course()
    with lms(course, _member("u-ada", "Ada Lovelace")):
        assert course.refresh() == "refreshed"
    with app.app_context():
        two_hours_ago = utcnow() - dt.timedelta(hours=2, minutes=1)
        db.session.execute(
            update(RosterSnapshot)
            .where(RosterSnapshot.id == course.snapshot().id)  # type: ignore[union-attr]
            .values(fetched_at=two_hours_ago)
        )
        db.session.commit()

    grace = _member("u-grace", "Grace Hopper")
    with lms(course, _member("u-ada", "Ada Lovelace"), grace) as nrps:
        stale = course.get("/credit/course")
        assert [f.result(30) for f in pool] == ["refreshed"]
        fresh = course.get()
    assert "Read from the LMS 2 hours ago; a newer copy is being read now." in text(stale)
    assert "Ada Lovelace" in text(stale) and "Grace Hopper" not in text(stale)
    assert "<td>Grace Hopper</td>" in text(fresh)
    assert "Read from the LMS just now." in text(fresh)
    assert nrps.call_count == 1


def test_the_refresh_button_reads_the_lms_and_shows_the_new_member(make_course):
    course = make_course()
    ada = _member("u-ada", "Ada Lovelace")
    with lms(course, ada):
        assert course.press_refresh().status_code == 303

    grace = _member("u-grace", "Grace Hopper")
    with lms(course, ada, grace) as nrps:
        no_token = course.client.post(f"/home/faculty/roster?lid={course.lid}", data={})
        assert no_token.status_code == 400 and nrps.call_count == 0  # CSRF stays on
        pressed = course.press_refresh()
        assert nrps.call_count == 1
        assert pressed.headers["Location"].startswith("/home/faculty?lid=")
        page = text(course.client.get(pressed.headers["Location"]))
        from_credit = course.press_refresh("/credit/course")
        assert from_credit.headers["Location"].startswith("/credit/course?lid=")
    assert "The roster was read from the LMS just now: 2 people." in page
    assert "<td>Grace Hopper</td>" in page
    assert "Read from the LMS just now." in page


def test_a_failing_lms_keeps_the_members_and_says_what_went_wrong(make_course):
    course = make_course()
    with lms(course, _member("u-ada", "Ada Lovelace")):
        assert course.press_refresh().status_code == 303

    with lms(course, exc=requests.exceptions.ConnectTimeout) as nrps:
        pressed = course.press_refresh()
        flashed = text(course.client.get(pressed.headers["Location"]))
        page = text(course.get())
    assert nrps.call_count == 1
    assert "The roster could not be read from the LMS: The platform did not answer" in flashed
    assert "<td>Ada Lovelace</td>" in page  # the members read before are still shown
    assert "The last read of the roster from the LMS failed just now:" in page
    assert "(ConnectTimeout)" in page and "ask your LMS administrator" in page
    assert "tok-secret-1" not in page + flashed  # the bearer token is never shown
    with lms(course, status_code=500):
        course.press_refresh()
    assert "The LMS refused the course roster (HTTP 500)." in text(course.get("/credit/course"))

    with lms(course, _member("u-ada", "Ada Lovelace")):
        course.press_refresh()
    row = course.snapshot()
    assert row is not None and row.last_error is None and row.refresh_started_at is None
    assert "The last read of the roster from the LMS failed" not in text(course.get())


def test_pages_do_not_ask_a_failing_lms_again_within_a_minute(app, make_course, pool):
    course = make_course()
    with lms(course, _member("u-ada", "Ada Lovelace")):
        assert course.refresh() == "refreshed"
    with lms(course, status_code=503):
        assert course.refresh() == "failed"

    def age(**values: Any) -> None:
        with app.app_context():
            db.session.execute(
                update(RosterSnapshot)
                .where(RosterSnapshot.id == course.snapshot().id)  # type: ignore[union-attr]
                .values(**values)
            )
            db.session.commit()

    age(fetched_at=utcnow() - dt.timedelta(hours=3))  # stale, and the last read failed just now
    with lms(course, _member("u-ada", "Ada Lovelace")) as nrps:
        page = text(course.get())
        assert pool == [] and nrps.call_count == 0
        age(error_at=utcnow() - dt.timedelta(minutes=2))
        course.get()
        assert [f.result(30) for f in pool] == ["refreshed"]
    assert "The LMS refused the course roster (HTTP 503)." in page
    assert "Read from the LMS 3 hours ago." in page
    assert nrps.call_count == 1


def test_a_course_sees_only_its_own_kept_roster(make_platform, make_course):
    platform = make_platform()
    bus, cs = make_course(platform, "bus-390"), make_course(platform, "cs-195")
    with lms(bus, _member("u-ada", "Ada Lovelace")):
        assert bus.press_refresh().status_code == 303
    with lms(cs, _member("u-alan", "Alan Turing")):
        assert cs.press_refresh().status_code == 303
    bus_page, cs_page = text(bus.get()), text(cs.get("/credit/course"))
    assert "Ada Lovelace" in bus_page and "Alan Turing" not in bus_page
    assert "Alan Turing" in cs_page and "Ada Lovelace" not in cs_page
    other_school = make_course(context="bus-390")  # the same context id at another school
    assert "Ada Lovelace" not in text(other_school.get())


def test_a_student_cannot_refresh_the_roster(app, make_course):
    course = make_course()
    with lms(course, _member("u-ada", "Ada Lovelace")) as nrps:
        assert course.press_refresh().status_code == 303  # the instructor may
        student, lid = course.launch("student")
        token = launch_csrf(app, lid)
        for path in ("/home/faculty/roster", "/credit/course/roster"):
            resp = student.post(f"{path}?lid={lid}", data={"csrf_token": token, "lid": lid})
            assert resp.status_code == 403, path
            assert reason(resp) == "role"
    assert nrps.call_count == 1


def test_one_read_per_course_at_a_time_and_a_dead_claim_is_taken_over(app, make_course, pool):
    course = make_course()
    inside, release = threading.Event(), threading.Event()

    def slow(request: Any, context: Any) -> dict[str, Any]:
        inside.set()
        assert release.wait(30)
        return {"id": course.url, "members": [_member("u-ada", "Ada Lovelace")]}

    refresh = course.refresh
    with lms(course, json=slow) as nrps:
        first: Future[str] = Future()
        runner = threading.Thread(target=lambda: first.set_result(refresh()))
        runner.start()
        assert inside.wait(30)  # the first read holds the claim and waits on the LMS
        assert refresh() == "busy"
        page = text(course.get())
        release.set()
        runner.join(30)
    assert first.result(0) == "refreshed"
    assert nrps.call_count == 1
    assert "being read from the LMS" in page and pool == []  # the page handed over no read

    with app.app_context():  # a claim whose runner died ten minutes ago
        db.session.execute(
            update(RosterSnapshot)
            .where(RosterSnapshot.id == course.snapshot().id)  # type: ignore[union-attr]
            .values(refresh_started_at=utcnow() - dt.timedelta(minutes=10))
        )
        db.session.commit()
    with lms(course, _member("u-ada", "Ada Lovelace")) as nrps:
        assert refresh() == "refreshed"
    assert nrps.call_count == 1


def test_erasure_removes_the_person_from_kept_rosters_and_export_lists_them(app, make_course):
    course = make_course()
    _client, _lid = course.launch("student", sub="stu-erase-1")
    with lms(course, _member("stu-erase-1", "Erin Student"), _member("u-ada", "Ada Lovelace")):
        assert course.press_refresh().status_code == 303
    assert "Erin Student" in text(course.get())

    with app.app_context():
        user = db.session.scalar(
            select(User).where(User.sub == "stu-erase-1", User.issuer == course.platform.issuer)
        )
        assert user is not None
        archive, _counts = subject.export_zip(Actor(user.tenant_id, "tests"), user)
        data = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("data.json"))
        outcome = subject.erase(Actor(user.tenant_id, "tests"), user)
        db.session.commit()
    assert [e["entry"]["name"] for e in data["kept_roster_entries"]] == ["Erin Student"]
    assert outcome.rows_deleted["roster_entries"] == 1
    page = text(course.get())
    assert "Erin Student" not in page and "stu-erase-1" not in page
    assert "<td>Ada Lovelace</td>" in page  # the others stay
    row = course.snapshot()
    assert row is not None and [m["user_id"] for m in row.members] == ["u-ada"]


def test_age_in_words():
    now = dt.datetime(2026, 12, 6, 12, 0, 0)
    ago = [
        rosters.age_in_words(now - dt.timedelta(seconds=s), now)
        for s in (0, 59, 60, 12 * 60 + 30, 3600, 2 * 86400 + 5)
    ]
    assert ago == [
        "just now",
        "just now",
        "1 minute ago",
        "12 minutes ago",
        "1 hour ago",
        "2 days ago",
    ]


def test_the_command_reads_the_kept_rosters_again(app, runner, make_course):
    course = make_course()
    with lms(course, _member("u-ada", "Ada Lovelace")):
        assert course.refresh() == "refreshed"
    with app.app_context():
        ctx = load_launch(course.lid)
        assert ctx is not None
        tenant, course_id = ctx.tenant_name, ctx.course_id
    command = ["lti", "roster-refresh", "--tenant", tenant]

    with lms(course, _member("u-ada", "Ada Lovelace"), _member("u-grace", "Grace Hopper")) as nrps:
        result = runner.invoke(args=[*command, "--course", str(course_id)])
    assert (result.exit_code, result.output) == (0, "1 refreshed\n")
    assert nrps.call_count == 1
    assert "<td>Grace Hopper</td>" in text(course.get())

    with lms(course, status_code=503):
        failed = runner.invoke(args=command)
    assert (failed.exit_code, failed.output) == (1, "1 failed\n")
    missing = runner.invoke(args=[*command, "--course", "987654321"])
    assert missing.exit_code == 1
    assert "No roster is kept for course 987654321" in missing.output
