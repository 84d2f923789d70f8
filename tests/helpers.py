"""Helpers every test package shares: the advisor rule a school's tenant carries, reading a
page's CSRF token and refusal reason, a launch's CSRF token without a page, pressing a page's
Refresh roster button, a school whose people arrive by real signed launches (its fixture,
``school``, is in tests/conftest.py), and the SQL statements a block runs."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select

from lti_tool.auth import load_launch
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import Course

# Tenant settings: a launch with the custom claim career_credit_role=advisor is an advisor, and
# the career center's address is what link and invitation pages give as the contact.
ADVISOR_RULE = {
    "advisor_claim": {"name": "career_credit_role", "value": "advisor"},
    "career_center_email": "careers@example.edu",
}

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_REASON = re.compile(r'data-reason="([\w-]+)"')


def csrf_token(page: Any) -> str:
    """The CSRF token of the first form on an HTML page, a response or its text (every form
    of a launch carries the same one)."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    match = _CSRF.search(text)
    assert match, text[:800]
    return match.group(1)


def launch_csrf(app: Any, lid: str) -> str:
    """The CSRF token any page of this launch would carry (it derives from the launch id)."""
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context(f"/home/?lid={lid}"):
        app.preprocess_request()
        return str(generate_csrf())


def press_refresh_roster(client: Any, lid: str, page: str = "/home/faculty") -> Any:
    """Press the Refresh roster button of a page showing the kept course roster (its form, its
    CSRF token), as a person does; the answer (a 303 back to the page)."""
    text = client.get(page, query_string={"lid": lid}).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]*/roster\?[^"]*)">(.*?)</form>', text, re.S)
    assert form, text[:800]
    action = form.group(1).replace("&amp;", "&")
    return client.post(action, data={"csrf_token": csrf_token(form.group(2)), "lid": lid})


def reason(resp: Any) -> str:
    """Why a request was refused: a JSON answer's ``error``, or an HTML page's data-reason."""
    if resp.is_json:
        return str(resp.get_json()["error"])
    text = resp.get_data(as_text=True)
    match = _REASON.search(text)
    assert match, text[:500]
    return match.group(1)


@dataclass
class Person:
    """Someone who launched: their own browser (a test client), launch id and LTI subject."""

    client: Any
    lid: str
    sub: str

    def ctx(self) -> LaunchContext:
        """The launch context, as the views get it (call inside an app context)."""
        ctx = load_launch(self.lid)
        assert ctx is not None
        return ctx

    @property
    def user_id(self) -> int:
        return int(self.ctx().user_id)


@dataclass
class School:
    """A tenant of its own (a platform with the advisor rule) whose people arrive by real
    signed launches."""

    platform: Any
    driver: Any

    @property
    def tenant_id(self) -> int:
        return int(self.platform.tenant_id)

    def person(self, role: str, sub: str | None = None, course: str = "course-1") -> Person:
        lti = self.driver(self.platform)
        sub = sub or f"{role}-{secrets.token_hex(3)}"
        custom: dict[str, str] = {}
        launch_role = role
        if role == "advisor":
            custom, launch_role = {"career_credit_role": "advisor"}, "faculty"
        launched = lti.launch(
            sub=sub,
            role=launch_role,
            course=None if role == "advisor" else course,  # the rule is account-level
            custom=custom,
            follow=False,
        )
        return Person(lti.client, launched.lid, sub)

    def course_id(self, context_id: str = "course-1") -> int:
        """The id of this school's course (call inside an app context)."""
        cid = db.session.scalar(
            select(Course.id).where(
                Course.tenant_id == self.tenant_id, Course.context_id == context_id
            )
        )
        assert cid is not None
        return int(cid)


_NEXT_PAGE = re.compile(r'<a href="([^"]*)" rel="next">')


def walk_pages(
    client: Any, url: str, rows: Callable[[str], list[Any]]
) -> tuple[list[Any], list[str]]:
    """Follow a paged list's "Next page" links from ``url`` (as a person clicks, through the
    launch id in each link): the ``rows`` of every page, in order, and the pages' HTML."""
    from html import unescape

    found: list[Any] = []
    pages: list[str] = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        pages.append(html)
        found += rows(html)
        following = _NEXT_PAGE.search(html)
        url = unescape(following.group(1)) if following else ""
    return found, pages


@contextmanager
def counted(this_thread: bool = False) -> Iterator[list[str]]:
    """The SQL statements executed inside the block (the engine's, in order); with
    ``this_thread``, only those of the calling thread (a test client serves its requests in
    it), so no other thread's work can add to them."""
    seen: list[str] = []
    caller = threading.get_ident()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not this_thread or threading.get_ident() == caller:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def record_made(monkeypatch: Any, cls: type[Any]) -> list[str]:
    """The class names of the ``cls`` instances (subclasses included) made from now until the
    test ends, in order: ``cls.__init__`` is wrapped for the test (``monkeypatch``)."""
    names: list[str] = []
    original = cls.__init__

    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        names.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", recording)
    return names
