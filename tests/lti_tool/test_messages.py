"""Flashed messages travel with the launch, not only in the cookie: after a form POST inside a
launch, the confirmation or refusal reaches the next page whether or not the browser keeps the
tool's cookie (an LMS iframe with third-party cookies blocked keeps none). Shown once, scoped
to the launch, gone with it, never logged and never exported with the launch id in clear."""

from __future__ import annotations

import io
import json
import logging
import zipfile

from sqlalchemy import delete, func, select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Launch, LaunchMessage, User
from lti_tool.privacy import subject
from tests.helpers import csrf_token

DONE = "Notifications marked as read."


def _cookieless(app):
    """A browser that keeps no cookie, as inside an LMS iframe with third-party cookies
    blocked: every request carries the launch id in the URL or form, nothing else."""
    return app.test_client(use_cookies=False)


def _token(browser, lid: str) -> str:
    """A CSRF token of the launch, from a page with a form (the profile)."""
    page = browser.get(f"/profile/?lid={lid}")
    assert page.status_code == 200, page.status_code
    return csrf_token(page)


def _mark_read(browser, lid: str):
    resp = browser.post(
        "/work/notifications/read", data={"lid": lid, "csrf_token": _token(browser, lid)}
    )
    assert resp.status_code == 303
    assert f"lid={lid}" in resp.headers["Location"]
    assert "Set-Cookie" not in resp.headers or "_flashes" not in resp.headers["Set-Cookie"]
    return resp


def _pending(app, lid: str) -> int:
    with app.app_context():
        query = select(func.count()).where(LaunchMessage.launch_id == lid)
        return int(db.session.scalar(query) or 0)


def test_a_confirmation_reaches_the_next_page_without_the_cookie_once(app, school):
    student = school.person("student")
    browser = _cookieless(app)
    resp = _mark_read(browser, student.lid)
    assert _pending(app, student.lid) == 1  # kept on the server, with the launch
    shown = browser.get(resp.headers["Location"], follow_redirects=True)
    assert shown.status_code == 200
    assert DONE in shown.get_data(True)
    assert _pending(app, student.lid) == 0  # consumed once shown
    again = browser.get(resp.headers["Location"], follow_redirects=True)
    assert DONE not in again.get_data(True)


def test_a_refusal_reaches_the_next_page_without_the_cookie(app, school, seed_listing):
    advisor = school.person("advisor")
    listing_id = seed_listing(school.tenant_id)
    browser = _cookieless(app)
    page = browser.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    assert page.status_code == 200
    from tests.internships.work.helpers import submit_application

    student = school.person("student")
    submit_application(student, listing_id)
    page = browser.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    application_id = int(page.get_data(True).split("/work/applications/")[1].split("/")[0])
    shortlist = {
        "lid": advisor.lid,
        "csrf_token": csrf_token(page),
        "form": "decide",
        "application_id": application_id,
        "decision": "shortlist",
    }
    applicants = f"/work/listings/{listing_id}/applicants"
    assert browser.post(applicants, data=shortlist).status_code == 303
    resp = browser.post(applicants, data=shortlist)  # refused: it is on the shortlist already
    assert resp.status_code == 303
    shown = browser.get(resp.headers["Location"])
    text = shown.get_data(True)
    assert "it cannot be shortlisted now" in text
    assert 'class="flash flash-error"' in text


def test_with_the_cookie_a_message_is_shown_once_too(app, school):
    student = school.person("student")  # its client keeps the session cookie
    resp = student.client.post(
        "/work/notifications/read",
        data={"lid": student.lid, "csrf_token": _token(student.client, student.lid)},
    )
    assert resp.status_code == 303
    home = student.client.get("/home/student")  # the cookie names the launch
    assert DONE in home.get_data(True)
    assert DONE not in student.client.get("/home/student").get_data(True)
    assert _pending(app, student.lid) == 0


def test_a_message_belongs_to_its_launch(app, school, make_platform, driver):
    student = school.person("student")
    second = school.person("student", sub=student.sub)  # the same person, another launch
    elsewhere = school.__class__(make_platform(), driver).person("student", sub=student.sub)
    resp = _mark_read(_cookieless(app), student.lid)
    for other in (second, elsewhere):  # neither the other launch nor another school sees it
        page = _cookieless(app).get(f"/home/student?lid={other.lid}")
        assert page.status_code == 200
        assert DONE not in page.get_data(True)
    assert _pending(app, student.lid) == 1
    shown = _cookieless(app).get(resp.headers["Location"], follow_redirects=True)
    assert DONE in shown.get_data(True)


def test_messages_go_with_their_launch_and_stay_out_of_logs_and_exports(
    app,
    school,
    caplog,
):
    student = school.person("student")
    with caplog.at_level(logging.DEBUG):
        _mark_read(_cookieless(app), student.lid)
    assert all(DONE not in record.getMessage() for record in caplog.records)
    assert _pending(app, student.lid) == 1
    with app.app_context():
        user_id = db.session.scalar(select(Launch.user_id).where(Launch.id == student.lid))
        user = db.session.get(User, user_id)
        data, _ = subject.export_zip(Actor(user.tenant_id, "tests"), user)
        exported = zipfile.ZipFile(io.BytesIO(data)).read("data.json").decode()
        assert DONE in exported  # the person's own message is theirs to see ...
        assert student.lid not in exported  # ... without the launch id, a bearer value
        assert json.loads(exported)
        db.session.execute(delete(Launch).where(Launch.id == student.lid))
        db.session.commit()
    assert _pending(app, student.lid) == 0  # the launch went (expiry, erasure): so did they


def test_a_confirmation_goes_in_the_requests_own_commit(app, school):
    """The action and its confirmation are committed together: one commit, not two."""
    from sqlalchemy import event

    student = school.person("student")
    browser = _cookieless(app)
    token = _token(browser, student.lid)
    commits: list[int] = []

    def counted(_conn) -> None:
        commits.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", counted)
    try:
        resp = browser.post(
            "/work/notifications/read", data={"lid": student.lid, "csrf_token": token}
        )
    finally:
        event.remove(engine, "commit", counted)
    assert resp.status_code == 303
    assert _pending(app, student.lid) == 1
    assert len(commits) == 1


def test_a_launch_keeps_only_its_newest_messages(app, school):
    from lti_tool.messages import MAX_PENDING

    student = school.person("student")
    browser = _cookieless(app)
    data = {"lid": student.lid, "csrf_token": _token(browser, student.lid)}
    for _ in range(MAX_PENDING + 3):  # no page in between shows them
        assert browser.post("/work/notifications/read", data=data).status_code == 303
    with app.app_context():
        ids = db.session.scalars(
            select(LaunchMessage.id).where(LaunchMessage.launch_id == student.lid)
        ).all()
        newest = db.session.scalar(select(func.max(LaunchMessage.id)))
    assert len(ids) == MAX_PENDING
    assert max(ids) == newest


def test_a_confirmation_below_the_limit_is_stored_without_a_trim(app, school):
    """The usual POST (one confirmation, fewer than ``MAX_PENDING`` messages waiting) stores
    it with one INSERT; once the list would pass the limit, the POST trims it to its newest
    ``MAX_PENDING``."""
    from lti_tool.messages import MAX_PENDING
    from tests.helpers import counted

    student = school.person("student")
    browser = _cookieless(app)
    data = {"lid": student.lid, "csrf_token": _token(browser, student.lid)}

    def message_writes() -> list[str]:
        with app.app_context(), counted() as seen:
            assert browser.post("/work/notifications/read", data=data).status_code == 303
        return [s.split()[0] for s in seen if "launch_message" in s and "SELECT" not in s[:7]]

    assert message_writes() == ["INSERT"]
    assert message_writes() == ["INSERT"]  # one waits: still below the limit
    assert _pending(app, student.lid) == 2
    for _ in range(MAX_PENDING - 2):
        assert message_writes() == ["INSERT"]
    assert _pending(app, student.lid) == MAX_PENDING
    assert message_writes() == ["INSERT", "DELETE"]  # the list would pass the limit: trimmed
    assert _pending(app, student.lid) == MAX_PENDING


def test_a_page_takes_its_messages_out_in_one_statement(app, school):
    """The page that shows a launch's messages reads and deletes them in one statement
    (``DELETE ... RETURNING``), committed with the page's own transaction."""
    from tests.helpers import counted

    student = school.person("student")
    browser = _cookieless(app)
    resp = _mark_read(browser, student.lid)
    with app.app_context(), counted() as seen:
        shown = browser.get(resp.headers["Location"], follow_redirects=True)
    assert DONE in shown.get_data(True)
    touching = [s.split()[0] for s in seen if "launch_message" in s and "FROM launch " not in s]
    assert touching == ["DELETE"]
    assert _pending(app, student.lid) == 0


def test_a_message_shown_on_a_refused_page_is_shown_once_too(app, school):
    """A page answered with an error takes back its transaction, and with it the deletion of
    the messages it showed: they are deleted again afterwards, not shown twice."""
    student = school.person("student")
    browser = _cookieless(app)
    _mark_read(browser, student.lid)
    refused = browser.get(f"/credit/queue?lid={student.lid}")  # an instructor's page
    assert refused.status_code == 403
    assert DONE in refused.get_data(True)
    assert _pending(app, student.lid) == 0
    assert DONE not in browser.get(f"/profile/?lid={student.lid}").get_data(True)


def test_a_confirmation_needs_no_savepoint_and_a_gone_launch_loses_only_its_message(app, school):
    """The message is inserted from its launch's row in the request's transaction: no
    savepoint, and a launch deleted meanwhile (purged, erased) inserts nothing instead of
    breaking the request's commit."""
    from lti_tool.messages import _store
    from tests.helpers import counted

    student = school.person("student")
    browser = _cookieless(app)
    data = {"lid": student.lid, "csrf_token": _token(browser, student.lid)}
    with app.app_context(), counted() as seen:
        assert browser.post("/work/notifications/read", data=data).status_code == 303
    assert not [s for s in seen if "SAVEPOINT" in s]
    assert _pending(app, student.lid) == 1
    with app.app_context():
        tenant_id = db.session.scalar(select(Launch.tenant_id).where(Launch.id == student.lid))
        stored = select(func.count()).select_from(LaunchMessage)
        before = db.session.scalar(stored)
        _store(tenant_id, "no-such-launch-" + "x" * 20, [("success", DONE)], [], trim=False)
        db.session.commit()  # nothing to insert from: nothing inserted, nothing broken
        assert db.session.scalar(stored) == before
        _store(tenant_id + 1, student.lid, [("success", DONE)], [], trim=False)
        db.session.commit()  # another tenant's id with this launch: nothing either
        assert db.session.scalar(stored) == before
