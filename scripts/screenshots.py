#!/usr/bin/env python
"""Screenshots of the demo's main pages, for the README and for before/after comparisons.

What ``make run`` does, in this process: the tool on a free loopback port with the sandbox LMS
on, in a temporary instance folder and SQLite database with the demo data (``db upgrade heads``,
``sandbox seed``, ``internships demo``, ``credit demo``, ``evidence sync``). Then Debian's
chromium (``/usr/bin/chromium``, driven by Playwright as tests/browser do; no browser is ever
downloaded) opens the sandbox's launch page for each person, which launches the tool in the
LMS's iframe (OIDC login, the sandbox's authorization, the tool's launch). The launch id is
read from the frame's address, and each page is then opened as **the tool's page itself in a
top-level page** of the same browser context (so the full page is captured, not the iframe's
visible part), 1280x800, full page; ``student-home-narrow`` is the student's home at 320 px.

PNGs are reduced to a 256-color palette and optimized (Pillow) to stay small. The names are
fixed (``<page>.png``); the files written are printed. Exit 1 with the reason on failure.

    .venv/bin/python scripts/screenshots.py                       # docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --pages student-home,admin-overview
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _own_resources() -> None:
    """This checkout's templates, static files and migrations, even when the venv's editable
    install maps ``lti_tool.templates`` (and the others) to another checkout (a worktree of an
    earlier commit that shares the main checkout's .venv)."""
    import types

    for name in ("templates", "static", "migrations"):
        folder = ROOT / name
        if folder.is_dir():
            module = types.ModuleType(f"lti_tool.{name}")
            module.__file__ = str(folder / "__init__.py")
            module.__path__ = [str(folder)]
            sys.modules[module.__name__] = module


_own_resources()

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/browser/conftest.py (site isolation off: see there)
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-site-isolation-trials",
]
TIMEOUT_MS = 30_000
TENANT = "Sandbox University"
COURSE = "bus-390"
PEOPLE = {  # role: (sandbox person, course or None)
    "student": ("amara-okafor", COURSE),
    "faculty": ("priya-raman", COURSE),
    "advisor": ("jordan-ellis", None),
    "admin": ("sam-whitfield", None),
}
REVIEWED = "chloe-martin"  # the instructor's review page: Chloé Martin's (as benchmarks/pages.py)
WIDTH, HEIGHT, NARROW = 1280, 800, 320
# name: (role, path; {listing}, {engagement}, {reviewed} are the demo's ids, width)
PAGES: dict[str, tuple[str, str, int]] = {
    "student-home": ("student", "/home/student", WIDTH),
    "board": ("student", "/internships/", WIDTH),
    "listing": ("student", "/internships/{listing}", WIDTH),
    "engagement": ("student", "/work/engagements/{engagement}", WIDTH),
    "faculty-home": ("faculty", "/home/faculty", WIDTH),
    "faculty-review": ("faculty", "/credit/students/{reviewed}", WIDTH),
    "course-progress": ("faculty", "/credit/course", WIDTH),
    "advisor-dashboard": ("advisor", "/reports/", WIDTH),
    "advisor-students": ("advisor", "/reports/students", WIDTH),
    "admin-overview": ("admin", "/admin/", WIDTH),
    "student-home-narrow": ("student", "/home/student", NARROW),
}
# Taken only when --pages names them (not part of the default set).
EXTRA_PAGES: dict[str, tuple[str, str, int]] = {
    "admin-registrations": ("admin", "/admin/registrations", WIDTH),
    "admin-guides": ("admin", "/admin/guides", WIDTH),
    "admin-advisors": ("admin", "/admin/advisors", WIDTH),
    "admin-overview-narrow": ("admin", "/admin/", NARROW),
    # the supervisor's page: no launch, a signed link (the full brand header)
    "supervisor-hours": ("supervisor", "/supervisor/hours/", WIDTH),
}
KNOWN = PAGES | EXTRA_PAGES
DEMO_COMMANDS = (
    ["sandbox", "seed"],
    ["internships", "demo", "--tenant", TENANT],
    ["credit", "demo", "--tenant", TENANT],
    ["evidence", "sync", "--tenant", TENANT],
)


class Failure(Exception):
    """Why the screenshots could not be taken (printed, exit 1)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def instance_folder() -> Iterator[Path]:
    """A temporary instance folder (secrets, uploads, the database) for the run."""
    before = os.environ.get("CAREER_CREDIT_INSTANCE")
    with tempfile.TemporaryDirectory(prefix="cc-screenshots-") as tmp:
        os.environ["CAREER_CREDIT_INSTANCE"] = tmp
        try:
            yield Path(tmp)
        finally:
            if before is None:
                os.environ.pop("CAREER_CREDIT_INSTANCE", None)
            else:
                os.environ["CAREER_CREDIT_INSTANCE"] = before


def make_app(folder: Path, port: int) -> Any:
    from lti_tool import create_app

    return create_app(
        {
            "CAREER_CREDIT_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/screenshots.db",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "JOB_RUNNER": "off",
            "SANDBOX_ENABLED": True,
            "SANDBOX_TOOL_URL": f"http://127.0.0.1:{port}",
            "SANDBOX_PLATFORM_URL": f"http://localhost:{port}",
        }
    )


def load_demo(app: Any) -> None:
    """The Makefile's run target: the schema, the sandbox LMS and the demo data."""
    import logging

    from flask_migrate import upgrade

    logging.disable(logging.INFO)  # not a line per migration
    try:
        with app.app_context():
            upgrade(revision="heads")
    finally:
        logging.disable(logging.NOTSET)
    runner = app.test_cli_runner()
    for args in DEMO_COMMANDS:
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise Failure(f"flask {' '.join(args)} failed: {result.output}{result.exception}")


@contextlib.contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    """The tool (and the sandbox LMS, same app) on 127.0.0.1 and localhost: two sites."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()


def demo_ids(app: Any, student_lid: str) -> dict[str, int]:
    """The student's engagement, an open listing, and Chloé Martin (the instructor reviews)."""
    from sqlalchemy import select

    from internships.models import Listing
    from internships.work.models import Engagement
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from lti_tool.models import User
    from lti_tool.sandbox.seed import stable_id

    with app.app_context():
        ctx = load_launch(student_lid)
        if ctx is None:
            raise Failure("the student's launch is not stored")
        ids = {
            "engagement": db.session.scalar(
                select(Engagement.id).where(Engagement.student_id == ctx.user_id).order_by("id")
            ),
            "listing": db.session.scalar(
                select(Listing.id)
                .where(Listing.tenant_id == ctx.tenant_id, Listing.status == "open")
                .order_by(Listing.id)
            ),
            "reviewed": db.session.scalar(
                select(User.id).where(
                    User.tenant_id == ctx.tenant_id, User.sub == stable_id(f"person:{REVIEWED}")
                )
            ),
        }
    missing = [name for name, value in ids.items() if value is None]
    if missing:
        raise Failure(f"the demo data has no {', '.join(missing)}")
    return {name: int(value or 0) for name, value in ids.items()}


@dataclass
class Site:
    tool_url: str
    platform_url: str


def launch(context: Any, site: Site, role: str) -> str:
    """The sandbox's launch page in a browser tab: the tool opens in its iframe; the launch id."""
    person, course = PEOPLE[role]
    query = {"person": person} | ({"course": course} if course else {})
    page = context.new_page()
    try:
        page.goto(f"{site.platform_url}/sandbox/launch?{urlencode(query)}")
        frame_element = page.wait_for_selector("#tool-frame")
        deadline = TIMEOUT_MS / 250
        for _ in range(int(deadline)):
            frame = frame_element.content_frame() if frame_element else None
            found = re.search(r"[?&]lid=([\w-]+)", frame.url if frame else "")
            if frame and frame.url.startswith(site.tool_url) and found:
                frame.wait_for_load_state("load")
                return found.group(1)
            page.wait_for_timeout(250)
        raise Failure(f"the {role}'s launch did not reach the tool: frame at {frame_element}")
    finally:
        page.close()


def supervisor_link(app: Any, site: Site, engagement_id: int) -> str:
    """A signed link for the engagement's supervisor to confirm hours, as the student's
    "send the link" button issues it (the demo mails none)."""
    from flask import url_for

    from internships.supervisor.links import issue_link
    from internships.work.models import Engagement
    from lti_tool.actor import Actor
    from lti_tool.extensions import db

    with app.test_request_context("/", base_url=site.tool_url):
        engagement = db.session.get(Engagement, engagement_id)
        if engagement is None:
            raise Failure("the student's engagement is gone")
        token = issue_link(Actor.cli(engagement.tenant_id), "confirm_hours", engagement_id, "")
        db.session.commit()
        return str(url_for("supervisor.hours", token=token, _external=True))


def optimize(path: Path) -> None:
    """A 256-color palette, optimized: a screenshot of flat UI stays sharp and small."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot(context: Any, url: str, out: Path, width: int) -> None:
    page = context.new_page()
    try:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        response = page.goto(url, wait_until="networkidle")
        if response is None or response.status != 200:
            status = response.status if response else "no answer"
            raise Failure(f"{url}: HTTP {status}")
        page.screenshot(path=str(out), full_page=True)
    finally:
        page.close()
    optimize(out)


def take(site: Site, app: Any, names: list[str], out: Path) -> list[Path]:
    """Launch each role the pages need, then capture each page; the files written."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            contexts: dict[str, Any] = {}
            lids: dict[str, str] = {}
            for role in dict.fromkeys(["student", *(KNOWN[n][0] for n in names)]):
                contexts[role] = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
                contexts[role].set_default_timeout(TIMEOUT_MS)
                if role != "supervisor":
                    lids[role] = launch(contexts[role], site, role)
            ids = demo_ids(app, lids["student"])
            for name in names:
                role, path, width = KNOWN[name]
                if role == "supervisor":
                    url = supervisor_link(app, site, ids["engagement"])
                else:
                    url = f"{site.tool_url}{path.format(**ids)}?lid={lids[role]}"
                target = out / f"{name}.png"
                shoot(contexts[role], url, target, width)
                written.append(target)
                print(f"wrote {target} ({target.stat().st_size // 1024} KB)", flush=True)
        finally:
            browser.close()
    return written


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for the PNGs"
    )
    parser.add_argument(
        "--pages",
        help=f"comma-separated, of: {', '.join(KNOWN)} (default: {', '.join(PAGES)})",
    )
    args = parser.parse_args(argv)
    args.names = [n.strip() for n in args.pages.split(",") if n.strip()] if args.pages else []
    args.names = args.names or list(PAGES)
    unknown = [n for n in args.names if n not in KNOWN]
    if unknown:
        parser.error(f"unknown page(s): {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not CHROMIUM.exists():
        print(f"screenshots: {CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with instance_folder() as folder:
            port = free_port()
            app = make_app(folder, port)
            load_demo(app)
            site = Site(f"http://127.0.0.1:{port}", f"http://localhost:{port}")
            with serving(app, port):
                written = take(site, app, args.names, args.out)
    except Failure as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # any failure is reported with its reason
        print(f"screenshots: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
