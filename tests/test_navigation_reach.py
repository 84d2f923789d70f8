"""Every page a role may use is reachable by clicking (issue 17): inside an LMS iframe there is
no address bar, so a page no link reaches does not exist for its people.

For each role, after a real signed launch, the test starts from the page the launch lands on and
follows every same-origin ``<a href>`` breadth-first (GET only) with a browser that keeps no
cookies, as in an iframe that blocks third-party cookies: a link reaches its page only when it
carries the launch id (``lurl``). It then lists the app's GET routes that the role may open, as
each view declares it (``@requires``), and fails naming those no link reached.

Left out of the pages that must be reached: routes with URL parameters (a listing, a student, an
engagement: their ids come from links on other pages, which this walk follows when they are
there), public views (``@public``: the LMS, sandbox, supervisor, employer, registration and ops
endpoints), POST-only routes, and the few in ``NOT_NAVIGATION`` below, each with its reason."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from tests.helpers import ADVISOR_RULE
from tests.platform import CLAIM, INSTITUTION, MEMBERSHIP, page_address

# Parameter-free GET routes a role may open that no navigation link needs to reach.
NOT_NAVIGATION = {
    "home.index": "a redirect to the role's home (the launch's landing), not a page of its own",
    "attainment.index": "a redirect to the role's own attainment report, not a page of its own",
    "lti.deep_link": "the LMS opens it with a Deep Linking launch (placing a link in a course)",
    "sandbox.outbox": "the sandbox's development mail outbox, absent from a real installation",
}
# Downloads (CSV, PDF, JSON): files, not pages; the pages they belong to are what must be reached.
DOWNLOAD_SUFFIXES = (".csv", ".pdf", ".json")

# The most distinct addresses (query strings aside from the launch id) fetched per endpoint:
# sorting and paging links make many addresses of one page, and one is enough to reach it.
PER_ENDPOINT = 3


@dataclass(frozen=True)
class Role:
    name: str  # as this test calls it
    launch_role: str  # tests.platform.ROLE_CLAIMS key
    decides: tuple[str, bool, bool]  # the tool's decision: role, read-only, tool administrator
    course: str | None = "course-1"
    custom: dict[str, str] = field(default_factory=dict)
    roles_claim: tuple[str, ...] = ()  # the LMS's roles claim, when not the launch role's own


ADVISOR = {"career_credit_role": "advisor"}  # the claim rule of tests.helpers.ADVISOR_RULE
BOARD = {"cc_placement": "board"}  # a link placed by Deep Linking that opens the board
ROLES = (
    Role("student", "student", ("student", False, False)),
    Role("instructor", "faculty", ("faculty", False, False)),
    Role("teaching assistant", "ta", ("faculty", True, False)),
    # the advisor claim rule applies to account-level launches
    Role("advisor", "faculty", ("advisor", False, False), course=None, custom=ADVISOR),
    Role("administrator", "admin", ("admin", False, True), course=None),
    Role("observer", "observer", ("observer", False, False)),
    # launches from the board's placement land on the board, not on the role's home
    Role("student from the board", "student", ("student", False, False), custom=BOARD),
    Role("instructor from the board", "faculty", ("faculty", False, False), custom=BOARD),
    # Canvas sends an administrator's institution role in every course they teach
    Role(
        "instructor who administers the tool",
        "faculty",
        ("faculty", False, True),
        roles_claim=(f"{MEMBERSHIP}#Instructor", f"{INSTITUTION}#Administrator"),
    ),
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith("#"):  # a place on this page (the skip link)
                self.hrefs.append(href)


def _links(base: str, body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    out = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(base, href))
        if url.scheme not in ("http", "https") or url.netloc != "localhost":
            continue  # another origin (the LMS, an employer's site), mailto:, javascript:
        out.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def _is_download(rule: Any) -> bool:
    return rule.rule.endswith(DOWNLOAD_SUFFIXES)


def _admits(view: Any, role: str, read_only: bool, tool_admin: bool) -> bool:
    """Whether the view admits this launch, as ``lti_tool.auth.requires`` decides."""
    as_admin = getattr(view, "tool_admin_access", False) and tool_admin
    if role not in view.required_roles and not as_admin:
        return False
    return not (read_only and getattr(view, "write_access", False) and not as_admin)


def _must_reach(app: Any, role: str, read_only: bool, tool_admin: bool) -> set[str]:
    """The parameter-free GET pages this launch may open."""
    out = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if (
            view is None
            or not getattr(view, "required_roles", ())  # public (or static)
            or "GET" not in rule.methods
            or rule.arguments
            or _is_download(rule)
            or rule.endpoint in NOT_NAVIGATION
        ):
            continue
        if _admits(view, role, read_only, tool_admin):
            out.add(rule.endpoint)
    return out


def _endpoint(adapter: Any, path: str) -> str | None:
    try:
        return str(adapter.match(path, method="GET")[0])
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None


def _walk(app: Any, client: Any, start: str) -> tuple[dict[str, str], list[str]]:
    """Follow every same-origin link from ``start``; the endpoints of the pages that opened
    (200 after redirects), each with the page whose link first reached it, and the links that
    failed."""
    adapter = app.url_map.bind("localhost")
    queue: deque[tuple[str, str]] = deque([(start, "the launch")])
    seen = set()
    per_endpoint: dict[str, int] = {}
    reached: dict[str, str] = {}
    problems = []
    while queue:
        url, source = queue.popleft()
        parts = urlsplit(url)
        endpoint = _endpoint(adapter, parts.path)
        if endpoint is None or not getattr(app.view_functions[endpoint], "required_roles", ()):
            continue  # public pages (the sandbox LMS, a supervisor's page) are not the launch's
        query = sorted((k, v) for k, v in parse_qsl(parts.query) if k != "lid")
        key = (parts.path, urlencode(query))
        if key in seen:
            continue
        seen.add(key)
        if parts.path.endswith(DOWNLOAD_SUFFIXES):
            reached.setdefault(endpoint, source)  # a file: its link is what counts
            continue
        if per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        resp = client.get(url, follow_redirects=True)
        if resp.status_code != 200:
            problems.append(f"{url} (a link on {source}) -> {resp.status_code}")
            continue
        for step in [*resp.history, resp]:  # the page and the redirects on the way to it
            if (opened := _endpoint(adapter, step.request.path)) is not None:
                reached.setdefault(opened, source)
        if resp.mimetype == "text/html":
            query_string = resp.request.query_string.decode()
            final = f"http://localhost{resp.request.path}?{query_string}"
            queue.extend(
                (link, resp.request.path) for link in _links(final, resp.get_data(as_text=True))
            )
    return reached, problems


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_every_page_of_the_role_is_reached_by_its_links(app, make_platform, driver, role):
    from lti_tool.auth import load_launch

    lti = driver(make_platform(tenant_settings=ADVISOR_RULE))
    launched = lti.launch(
        sub=f"nav-{role.launch_role}",
        role=role.launch_role,
        course=role.course,
        custom=role.custom,
        follow=False,
        extra={CLAIM + "roles": list(role.roles_claim)} if role.roles_claim else None,
    )
    with app.app_context():
        ctx = load_launch(launched.lid)
        assert ctx is not None
        decided = (ctx.role, ctx.read_only, ctx.is_tool_admin)
    assert decided == role.decides
    must = _must_reach(app, *decided)

    # A browser without cookies: every page must be reached by links alone (``lurl``).
    browser = app.test_client(use_cookies=False)
    start = page_address(launched.response)  # the page the launch answered with, by its address
    assert start, launched.response.get_data(as_text=True)[:500]
    reached, problems = _walk(app, browser, start)
    print("\n".join(f"{endpoint} <- {page}" for endpoint, page in sorted(reached.items())))

    # Positive control: the launch's landing page opened, and its links led somewhere.
    landing = _endpoint(app.url_map.bind("localhost"), urlsplit(start).path)
    assert reached.get(landing) == "the launch"
    assert len(reached) >= 2 or decided[0] == "observer"  # the observer's page has no links
    assert problems == [], f"{role.name}: links that failed: {problems}"
    unreached = sorted(must - reached.keys())
    assert unreached == [], f"{role.name} ({decided[0]}): no link reaches {unreached}"
