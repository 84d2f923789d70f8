"""Real-browser fixtures: Debian's chromium driven by Playwright, and axe-core checks.

Playwright drives the system browser at /usr/bin/chromium; `playwright install` is never run
and nothing is downloaded. axe-core comes from npm into node_modules (`make test` installs it).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Keep cross-site iframes in the page's renderer. With site isolation each hop of the
    # launch (localhost -> 127.0.0.1 -> localhost -> 127.0.0.1) swaps the frame's process, and
    # Playwright 1.65 with chromium 156 sometimes loses track of the frame (about 1 run in 4
    # under load): locators time out and evaluate() never returns. Cookies, CSP and
    # postMessage behave the same either way: they depend on sites, not on processes.
    "--disable-site-isolation-trials",
]
# Frames are checked one by one (a cross-site frame has no axe of its own to answer the parent).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "iframes": False,
}
# evaluate() has no timeout of its own: a stuck axe run fails the test instead of hanging CI.
AXE_RUN = """async (options) => {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("axe.run took over 60 s")), 60000));
  return (await Promise.race([axe.run(document, options), timeout])).violations;
}"""
TIMEOUT_MS = 20_000  # OIDC login + launch is several round trips; CI machines can be slow


def cookie_profile(block: bool) -> Path:
    """A fresh chromium profile folder whose preferences block (or allow) third-party cookies,
    for ``launch_persistent_context``."""
    folder = Path(tempfile.mkdtemp(prefix="cc-chromium-"))
    (folder / "Default").mkdir()
    (folder / "Default" / "Preferences").write_text(
        json.dumps(
            {
                "profile": {
                    "cookie_controls_mode": 1 if block else 0,
                    "block_third_party_cookies": block,
                }
            }
        )
    )
    return folder


def _missing(reason: str) -> None:
    """Skip when a prerequisite is missing; under CI=true that is a failure."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true needs the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module, with a fresh temporary profile from Playwright.

    Module scope, not session: Playwright's sync API allows one instance per thread at a time,
    so a test elsewhere that starts its own does not collide with a long-lived one here.
    """
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies or storage from other tests).

    `page.console_errors` collects console errors and CSP violation reports for assertions.
    """
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = errors = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()


def axe_check(target: Any) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.1 A/AA rules on a Page or Frame; return the violations.

    The source is injected with evaluate(), which the page's nonce-based CSP does not govern
    (an injected <script> tag would be refused), so the page's real CSP stays on in the test.
    """
    if not AXE_JS.exists():
        _missing(f"{AXE_JS.relative_to(ROOT)} missing (run `npm ci`)")
    # evaluate() waits forever on a frame that is gone; this probe times out instead.
    target.wait_for_function("() => document.readyState === 'complete'", timeout=TIMEOUT_MS)
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return target.evaluate(AXE_RUN, AXE_OPTIONS)


def _assert_accessible(target: Any, what: str) -> None:
    """Fail with each violation's rule id, help text and the offending nodes."""
    violations = axe_check(target)
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}\n"
        + "\n".join(f"    {node['target']}: {node['html'][:160]}" for node in v["nodes"])
        for v in violations
    ]
    assert not violations, f"axe found WCAG 2.1 A/AA violations on {what}:\n" + "\n".join(lines)


@pytest.fixture
def assert_accessible() -> Any:
    """`assert_accessible(page_or_frame, "what it is")`: no WCAG 2.1 A/AA violations."""
    return _assert_accessible
