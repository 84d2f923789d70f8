"""A form a person types into posts to its page's own address (issue: "a POST that fails
validation re-renders at the page's own URL").

The walk: after real signed launches, each role's pages are followed link by link (GET only)
from the role's home and the pages that hold its forms, as ``test_navigation_reach`` walks them;
every page that opens is parsed, and each POST form with a field a person types or chooses (an
input other than hidden or a button, a select, a textarea) must post to the page's own path.
Forms of buttons only (retry, revoke, pin, mark read...) may post elsewhere: they are never shown
again with errors. The pages of other owners still being converted are in ``ELSEWHERE``.

Then, page by page, a refused form answers 422 at the page's own address with what was typed
still in it, and the page shown again still posts to itself."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from internships.models import Listing
from lti_tool.extensions import db
from tests.helpers import Person, csrf_token
from tests.test_form_labels import World, world  # noqa: F401 - the pages' world, a fixture

# Pages whose typed forms may post elsewhere, each with its reason.
ELSEWHERE: dict[str, str] = {}
ELSEWHERE_AREAS: dict[str, str] = {}

# The pages converted here: the walk must have checked a typed form on each (positive control).
CONVERTED = {
    "internships.approve",
    "internships.detail",
    "work.applicants",
    "attainment.program_report",
    "reports.student_report",
    "frameworks.index",
    "frameworks.framework",
}
DOWNLOADS = (".csv", ".pdf", ".json", ".zip")
PER_ENDPOINT = 3  # distinct addresses fetched per endpoint (query strings aside from lid)
NOT_TYPED = ("hidden", "submit", "button", "image", "reset")


@dataclass
class Form:
    method: str
    action: str
    typed: list[str] = field(default_factory=list)  # names of the fields a person fills in
    hidden: dict[str, str] = field(default_factory=dict)


class _Page(HTMLParser):
    """The page's forms and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and values.get("href") and not values["href"].startswith("#"):
            self.links.append(values["href"])
        elif tag == "form":
            self._open = Form(values.get("method", "get").lower(), values.get("action", ""))
            self.forms.append(self._open)
        elif self._open is not None and tag in ("input", "select", "textarea"):
            kind = values.get("type", "text").lower() if tag == "input" else tag
            if kind == "hidden":
                self._open.hidden[values.get("name", "")] = values.get("value", "")
            elif kind not in NOT_TYPED:
                self._open.typed.append(values.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def elsewhere(page_path: str, html: str) -> list[str]:
    """The POST forms with typed fields on the page at ``page_path`` that post elsewhere."""
    out = []
    for form in parse(html).forms:
        if form.method != "post" or not form.typed:
            continue
        target = urlsplit(urljoin(f"http://localhost{page_path}", unescape(form.action))).path
        if target != page_path:
            out.append(f"{target} ({', '.join(form.typed)})")
    return out


# --- the checker itself --------------------------------------------------------------------------


def test_the_checker_accepts_forms_that_post_to_their_page():
    page = """
    <form method="post" action="/work/caps?lid=x&amp;a=1"><input name="max_concurrent"></form>
    <form method="post"><textarea name="note"></textarea></form>
    <form method="post" action="/work/cpt/3/revoke"><input type="hidden" name="lid">
      <button type="submit">Revoke</button></form>
    <form method="get" action="/internships/"><input name="q"></form>
    """
    assert elsewhere("/work/caps", page) == []


@pytest.mark.parametrize(
    ("page", "found"),
    [
        ('<form method="post" action="/a/notes"><textarea name="body"></textarea></form>', "body"),
        ('<form method="POST" action="x/share"><select name="who"></select></form>', "who"),
        (
            '<form method="post" action="/a/close"><input type="radio" name="status"></form>',
            "status",
        ),
    ],
)
def test_the_checker_finds_a_typed_form_that_posts_elsewhere(page, found):
    (problem,) = elsewhere("/a", page)
    assert found in problem


# --- the walk ------------------------------------------------------------------------------------


def _endpoint(adapter: Any, path: str) -> str | None:
    try:
        return str(adapter.match(path, method="GET")[0])
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None


def _excused(endpoint: str) -> str | None:
    if endpoint in ELSEWHERE:
        return ELSEWHERE[endpoint]
    return next((why for area, why in ELSEWHERE_AREAS.items() if endpoint.startswith(area)), None)


def walk(app: Any, person: Person, starts: list[str]) -> tuple[set[str], list[str]]:
    """Follow the links of a launch from ``starts``: the endpoints whose pages held a typed POST
    form, and the forms that post elsewhere (``page: action``)."""
    adapter = app.url_map.bind("localhost")
    queue = deque(f"{path}{'&' if '?' in path else '?'}lid={person.lid}" for path in starts)
    seen: set[tuple[str, str]] = set()
    fetched: dict[str, int] = {}
    checked: set[str] = set()
    problems = []
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        endpoint = _endpoint(adapter, parts.path)
        if endpoint is None or parts.path.endswith(DOWNLOADS):
            continue
        if not getattr(app.view_functions[endpoint], "required_roles", ()):
            continue  # public pages (a supervisor's) are walked on their own below
        key = (
            parts.path,
            urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k != "lid")),
        )
        if key in seen or fetched.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        seen.add(key)
        fetched[endpoint] = fetched.get(endpoint, 0) + 1
        resp = person.client.get(url, follow_redirects=True)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        path = resp.request.path
        shown = _endpoint(adapter, path) or path
        html = resp.get_data(as_text=True)
        page = parse(html)
        if any(form.method == "post" and form.typed for form in page.forms):
            checked.add(shown)
        if _excused(shown) is None:
            problems += [f"{path}: {form}" for form in elsewhere(path, html)]
        base = f"http://localhost{path}?{resp.request.query_string.decode()}"
        for href in page.links:
            link = urlsplit(urljoin(base, href))
            if link.netloc == "localhost":
                queue.append(link.path + (f"?{link.query}" if link.query else ""))
    return checked, problems


def _pending_listing(app: Any, tenant_id: int, seed_listing: Any) -> int:
    """An unpaid listing waiting for approval (approving it needs the seven factors)."""
    listing_id = seed_listing(
        tenant_id, employer="Delta Works", title="Waiting project", compensation_type="unpaid"
    )
    with app.app_context():
        db.session.get(Listing, listing_id).status = "pending_approval"
        db.session.commit()
    return int(listing_id)


def test_every_typed_form_posts_to_its_own_page(app, world: World, school, seed_listing):  # noqa: F811
    ids = world.ids
    pending = _pending_listing(app, school.tenant_id, seed_listing)
    starts = {
        "student": (world.student, ["/home/", f"/work/engagements/{ids['engagement']}"]),
        "finished": (world.finished, ["/home/"]),
        "faculty": (world.faculty, ["/home/", "/credit/policy", "/work/caps", "/credit/column"]),
        "advisor": (
            world.advisor,
            [
                "/home/",
                f"/internships/{pending}/approve",
                f"/internships/{ids['listing']}",
                f"/work/listings/{ids['unapplied']}/applicants",
                f"/reports/students/{ids['finished']}",
                f"/frameworks/{ids['framework']}",
                "/attainment/program",
            ],
        ),
        "admin": (world.admin, ["/home/", "/credit/defaults", "/frameworks/"]),
    }
    checked: set[str] = set()
    problems: list[str] = []
    for role, (person, paths) in starts.items():
        found, wrong = walk(app, person, paths)
        checked |= found
        problems += [f"{role} {problem}" for problem in wrong]
    public = app.test_client()
    for purpose in ("hours", "evaluate", "select"):
        path = f"/supervisor/{purpose}/{ids[purpose]}"
        resp = public.get(path)
        assert resp.status_code == 200, path
        problems += [f"supervisor {p}" for p in elsewhere(path, resp.get_data(as_text=True))]
    invitation = urlsplit(ids["invitation"]).path
    employer = public.get(ids["invitation"])
    problems += [f"employer {p}" for p in elsewhere(invitation, employer.get_data(as_text=True))]
    assert checked >= CONVERTED, f"not walked: {sorted(CONVERTED - checked)}"
    assert problems == [], "\n".join(problems)


# --- each converted page: a refusal stays at the page's own address ------------------------------


def refused_here(person: Person, page_path: str, name: str, data: dict[str, str]) -> str:
    """Post the page's form ``name`` (found on the page, posted to its action) with ``data``:
    the action is the page's own path, the answer 422 there, and the page shown again still
    posts that form to itself. The page's text."""
    sep = "&" if "?" in page_path else "?"
    page = person.client.get(f"{page_path}{sep}lid={person.lid}")
    assert page.status_code == 200, page_path
    html = page.get_data(as_text=True)
    (form,) = [f for f in parse(html).forms if f.hidden.get("form") == name]
    action = unescape(form.action)
    assert urlsplit(action).path == urlsplit(page_path).path, action
    posted = {**form.hidden, "csrf_token": csrf_token(html), **data}
    resp = person.client.post(action, data=posted)
    assert resp.status_code == 422, (name, resp.status_code)
    assert resp.request.path == urlsplit(page_path).path
    again = resp.get_data(as_text=True)
    (shown,) = [f for f in parse(again).forms if f.hidden.get("form") == name]
    assert urlsplit(unescape(shown.action)).path == urlsplit(page_path).path
    return again


def test_the_approval_pages_forms_are_refused_at_the_page(app, world: World, school, seed_listing):  # noqa: F811
    pending = _pending_listing(app, school.tenant_id, seed_listing)
    page = f"/internships/{pending}/approve"
    text = refused_here(
        world.advisor, page, "return_listing", {"outcome": "send_back", "reason": "Too thin"}
    )
    assert "Nothing was changed" in text and re.search(r">\s*Too thin</textarea>", text)
    text = refused_here(world.advisor, page, "approve", {"note": "Checked with the employer"})
    assert re.search(r">\s*Checked with the employer</textarea>", text)  # no unpaid factors
    assert "The listing was not approved" in text
    with app.app_context():
        assert db.session.get(Listing, pending).status == "pending_approval"


def test_closing_a_listing_without_a_choice_is_refused_at_the_listing(
    app,
    world: World,  # noqa: F811
    school,
    seed_listing,
):
    listing = seed_listing(school.tenant_id, employer="Delta Works", title="Open project")
    text = refused_here(world.advisor, f"/internships/{listing}?back=q%3Ddata", "close", {})
    assert 'id="status-error"' in text
    assert 'href="/internships/?q=data' in text  # the way back to the search is kept
    with app.app_context():
        assert db.session.get(Listing, listing).status == "open"


def test_the_applicants_forms_are_refused_at_the_page(app, world: World):  # noqa: F811
    page = f"/work/listings/{world.ids['unapplied']}/applicants"
    text = refused_here(world.advisor, page, "decide", {"override_reason": "Over by one hour"})
    assert "Nothing was recorded: Choose a decision." in text
    assert ">Over by one hour</textarea>" in text
    text = refused_here(world.advisor, page, "selection_link", {"email": "sam at acme"})
    assert 'value="sam at acme"' in text and 'id="email-error"' in text


def test_a_program_note_is_refused_at_the_program_page(world: World):  # noqa: F811
    page = f"/attainment/program?framework={world.ids['framework']}"
    html = world.advisor.client.get(f"{page}&lid={world.advisor.lid}").get_data(as_text=True)
    item = re.search(r'<option value="(\d+)"', html.split('name="item_id"')[1]).group(1)
    long = "Add a capstone review. " * 200  # over the 4000 characters a note holds
    text = refused_here(world.advisor, page, "note", {"item_id": item, "body": long})
    assert long.strip() in unescape(text)
    assert f"framework={world.ids['framework']}" in text  # still the page of that framework


def test_a_report_note_and_share_are_refused_at_the_report(world: World):  # noqa: F811
    page = f"/reports/students/{world.ids['finished']}"
    text = refused_here(
        world.advisor, page, "note", {"body": "Call her", "follow_up_on": "next week"}
    )
    assert re.search(r">\s*Call her</textarea>", text) and "The note was not saved" in text
    message = "Well done! " * 200  # over the 2000 characters a message holds
    text = refused_here(world.advisor, page, "share", {"message": message})
    assert message.strip() in unescape(text)


def test_the_framework_forms_are_refused_at_their_pages(world: World):  # noqa: F811
    text = refused_here(
        world.advisor,
        "/frameworks/",
        "template",
        {"template": "abet", "title": "T" * 301, "program": "BS Physics"},
    )
    assert 'value="BS Physics"' in text and "Use at most 300 characters." in text
    page = f"/frameworks/{world.ids['framework']}"
    text = refused_here(world.advisor, page, "item", {"name": "", "statement": "Works safely"})
    assert "Give the item a name." in text and re.search(r">\s*Works safely</textarea>", text)


def test_a_post_naming_no_form_of_the_page_is_a_bad_request(world: World):  # noqa: F811
    page = f"/reports/students/{world.ids['finished']}"
    html = world.advisor.client.get(f"{page}?lid={world.advisor.lid}").get_data(as_text=True)
    data = {"lid": world.advisor.lid, "csrf_token": csrf_token(html), "body": "A note"}
    assert world.advisor.client.post(page, data=data).status_code == 400
    assert world.advisor.client.post(page, data={**data, "form": "other"}).status_code == 400
