"""A real chromium frames the tool from LMS pages on an address the tenant does not know yet:
the person sees the explanation page (not the browser's "refused to connect"), it passes axe,
its link opens Career Credit in a new window; once the administrator allows the address, the
same LMS page shows the tool itself.

The LMS is played by Playwright routes on made-up host names (no DNS): the course page and the
authorization page on ``pages.lms.test`` (the institution's domain), the login endpoint on
``login.lms.test`` (a shared login host, like Canvas's ``sso.canvaslms.com``), which redirects to
the institution's domain. The id_token is signed by the independent test platform."""

from __future__ import annotations

import html
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from lti_tool.actor import Actor
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, cookie_profile
from tests.platform import LmsPlatform

pytestmark = pytest.mark.browser

LOGIN_HOST = "login.lms.test"
ISSUER = "https://issuer.lms.test"  # a string only: the browser never goes there


@pytest.fixture
def lms_server() -> Iterator[_Lms]:
    pages = _Lms()
    yield pages
    pages.server.shutdown()


@pytest.fixture
def lms(app: Any, keyset: Any, lms_server: _Lms) -> LmsPlatform:
    from lti_tool.extensions import db
    from lti_tool.registration.services.tenants import PlatformSpec, add_platform

    suffix = secrets.token_hex(4)
    platform = LmsPlatform(
        issuer=f"{ISSUER}/{suffix}",
        client_id=f"fo-browser-{suffix}",
        deployment_id="dep-1",
        keyset=keyset,
    )
    with app.app_context():
        reg = add_platform(
            Actor(None, "tests"),
            PlatformSpec(
                name=f"Framed LMS {suffix}",
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=f"http://{LOGIN_HOST}:{lms_server.port}/auth",
                auth_token_url=f"http://{LOGIN_HOST}/token",
                key_set_url=platform.key_set_url,
                deployment_ids=("dep-1",),
                tenant=None,
            ),
            allow_http=True,
        )
        platform.tenant_id = reg.tenant_id  # type: ignore[attr-defined]
        db.session.commit()
    lms_server.platform = platform
    return platform


class _Lms:
    """The LMS's web pages on 127.0.0.1 (chromium maps the made-up names there)."""

    platform: LmsPlatform
    login_url = ""

    def __init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                host = (self.headers.get("Host") or "").split(":")[0]
                if host == "login.lms.test" and parts.path == "/auth":
                    # like sso.canvaslms.com: on to the institution's own domain
                    self.send_response(302)
                    self.send_header("Location", f"{outer.pages}/authorize?{parts.query}")
                    self.end_headers()
                    return
                body = outer.authorize(query) if parts.path == "/authorize" else outer.course_page()
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.pages = f"http://pages.lms.test:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def course_page(self) -> str:
        return (
            '<!doctype html><html lang="en"><title>Course</title><h1>BUS 390</h1>'
            f'<iframe id="tool-frame" title="Career Credit" src="{html.escape(self.login_url)}"'
            ' width="900" height="700"></iframe></html>'
        )

    def authorize(self, query: dict[str, str]) -> str:
        body = self.platform.claims(
            sub="fo-student",
            role="student",
            nonce=query["nonce"],
            context={"id": "course-fo-browser", "title": "BUS 390"},
            name="Frieda Origin",
        )
        return (
            '<!doctype html><html lang="en"><title>Launching</title>'
            f'<form id="f" method="post" action="{html.escape(query["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{self.platform.sign(body)}">'
            f'<input type="hidden" name="state" value="{html.escape(query["state"])}">'
            "</form><script>document.getElementById('f').submit()</script></html>"
        )


@pytest.fixture
def lms_pages(lms: LmsPlatform, lms_server: _Lms, live_server: Any) -> _Lms:
    lms_server.login_url = f"{live_server.tool_url}/lti/login?" + urlencode(
        {
            "iss": lms.issuer,
            "login_hint": "fo-student",
            "client_id": lms.client_id,
            "lti_deployment_id": lms.deployment_id,
            "target_link_uri": f"{live_server.tool_url}/lti/launch",
        }
    )
    return lms_server


@pytest.fixture
def context(request: Any, lms_pages: _Lms) -> Iterator[Any]:
    """A chromium profile that allows (param False) or blocks (True) third-party cookies."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    block = request.param
    folder = cookie_profile(block)
    with sync_playwright() as playwright:
        ctx = playwright.chromium.launch_persistent_context(
            str(folder),
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.lms.test 127.0.0.1"],
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        yield ctx
        ctx.close()


@pytest.mark.parametrize("context", [False], indirect=True)
def test_an_unknown_lms_page_gets_the_explanation_then_the_tool_once_allowed(
    app, context, lms, lms_pages, live_server, assert_accessible
):
    from lti_tool.extensions import db
    from lti_tool.lti import frame_origins
    from lti_tool.models import Tenant

    pages = lms_pages.pages
    page = context.new_page()
    page.goto(f"{pages}/course")
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text("Open Career Credit in a new window")
    expect(frame.locator("#frame-origin")).to_have_text(pages)
    tool_frame = page.frame(url=lambda url: url.startswith(f"{live_server.tool_url}/lti/launch"))
    assert tool_frame is not None
    assert_accessible(tool_frame, "the unknown frame origin page")

    button = frame.locator("a", has_text="Open Career Credit in a new window")
    with context.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator("h1")).to_have_text("Welcome, Frieda Origin")
    popup.close()

    # The address is allowed (written as the setting directly: the admin page and the CLI
    # accept https only, and this test LMS is plain http); the same LMS page now shows the
    # tool itself.
    with app.app_context():
        tenant = db.session.get(Tenant, lms.tenant_id)  # type: ignore[attr-defined]
        assert tenant is not None
        assert pages in [e.origin for e in frame_origins.overview(tenant).seen]
        tenant.settings = {**tenant.settings, "frame_origins": [pages]}
        db.session.commit()
    page.goto(f"{pages}/course")
    expect(page.frame_locator("#tool-frame").locator("h1")).to_have_text("Welcome, Frieda Origin")


@pytest.mark.parametrize("context", [True], indirect=True)
def test_with_cookies_blocked_the_new_window_page_shows_in_an_unknown_lms_page(context, lms_pages):
    """Without cookies the launch cannot be validated in the frame: the exchange's own
    new-window page is shown (it holds nothing for the page around it), not a refusal."""
    page = context.new_page()
    page.goto(f"{lms_pages.pages}/course")
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("a[data-reason=cookies_blocked]")).to_be_visible()
    with context.expect_page() as popup_info:
        frame.locator("a", has_text="Open Career Credit in a new window").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator("h1")).to_have_text("Welcome, Frieda Origin")


def test_the_frame_origins_admin_page_is_accessible_and_works(
    app, browser_page, live_server, make_platform, driver, assert_accessible
):
    from tests.lti_tool.test_frame_origins import _framed_launch

    platform = make_platform()
    seen = f"https://canvas-{secrets.token_hex(3)}.seen.edu"
    assert _framed_launch(driver(platform), origin=seen, sub="fo-b-seen").status_code == 200
    lid = driver(platform).launch(sub="fo-b-admin", role="admin", course=None, follow=False).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/admin/frame-origins?lid={lid}")
    expect(page.locator("h1")).to_contain_text("Frame origins")
    expect(page.locator(f'[data-seen-origin="{seen}"]')).to_be_visible()
    assert_accessible(page, "the admin Frame origins page")

    page.fill("#origin", "https://*.instructure.com")
    page.click("button:has-text('Add address')")
    expect(page.locator("[role=alert]")).to_be_visible()
    expect(page.locator("#origin-error")).to_contain_text("wildcard")
    assert_accessible(page, "the Frame origins form with an error")

    page.locator(f'[data-seen-origin="{seen}"] button:has-text("Allow")').click()
    expect(page.locator(".flash")).to_contain_text(f"{seen} may now show Career Credit")
    expect(page.locator(f'[data-configured-origin="{seen}"]')).to_be_visible()
