"""Shared fixtures: a real database (SQLite file, or PostgreSQL when TEST_DATABASE_URL names
one), the app upgraded through its migrations, the app served over real HTTP, independent test
platforms, and real signed LTI launches.

With CI=true a skipped test fails the run."""

from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from lti_tool import workpool
from lti_tool.actor import Actor
from tests.platform import KeySetServer, LmsPlatform, landed, login_redirect_params

CI = os.environ.get("CI", "").lower() == "true"
_TMP = Path(tempfile.mkdtemp(prefix="cc-tests-"))
os.environ.setdefault("CAREER_CREDIT_INSTANCE", str(_TMP / "instance"))


# The fast tier (`pytest -m "not slow and not browser"`, make fast) leaves out every test that
# registers an LMS or serves the sandbox: each real launch signs, checks and stores a login
# and each new platform makes the tenant's keys, a quarter of a second or more a test. Tests
# marked slow in their modules (subprocesses, the wheel, property tests) are left out too.
SLOW_FIXTURES = frozenset({"make_platform", "sandbox", "live_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> Iterator[None]:
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which allows no skips: {report.longrepr}"
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{_TMP}/test.db"
        return
    import psycopg

    name = f"cc_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class LiveServer:
    port: int

    @property
    def tool_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def platform_url(self) -> str:
        return f"http://localhost:{self.port}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    yield from _database_url()


@pytest.fixture(scope="session")
def _port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def app(database_url: str, _port: int):
    from flask_migrate import upgrade

    from lti_tool import create_app

    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        SANDBOX_TOOL_URL=f"http://127.0.0.1:{_port}",
        SANDBOX_PLATFORM_URL=f"http://localhost:{_port}",
    )
    with app.app_context():
        upgrade(revision="heads")
    return app


@pytest.fixture(scope="session")
def live_server(app, _port: int) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", _port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(_port)
    server.shutdown()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def keyset() -> Iterator[KeySetServer]:
    server = KeySetServer()
    yield server
    server.close()


@pytest.fixture
def make_platform(app, keyset):
    """Factory: a new test platform registered with the tool (its own tenant unless named)."""

    def make(
        *,
        strict: bool = False,
        tenant: str | None = None,
        tenant_settings: dict | None = None,
        deployment_id: str = "dep-1",
    ) -> LmsPlatform:
        from lti_tool.extensions import db
        from lti_tool.registration.services.tenants import PlatformSpec, add_platform

        suffix = secrets.token_hex(4)
        platform = LmsPlatform(
            issuer=f"http://localhost:{keyset.port}/lms-{suffix}",
            client_id=f"client-{suffix}",
            deployment_id=deployment_id,
            keyset=keyset,
        )
        with app.app_context():
            reg = add_platform(
                Actor(None, "tests"),
                PlatformSpec(
                    name=f"Test LMS {suffix}",
                    issuer=platform.issuer,
                    client_id=platform.client_id,
                    auth_login_url=f"{platform.issuer}/auth",
                    auth_token_url=f"{platform.issuer}/token",
                    key_set_url=platform.key_set_url,
                    deployment_ids=(deployment_id,),
                    strict_deployments=strict,
                    tenant=tenant,
                ),
                allow_http=True,
            )
            if tenant_settings is not None:
                reg.tenant.settings = {**reg.tenant.settings, **tenant_settings}
            platform.tenant_id = reg.tenant_id  # type: ignore[attr-defined]
            db.session.commit()
        return platform

    return make


@pytest.fixture
def platform(make_platform) -> LmsPlatform:
    return make_platform()


@pytest.fixture
def advised_platform(make_platform) -> LmsPlatform:
    """A test platform whose tenant has the advisor rule (tests.helpers.ADVISOR_RULE)."""
    from tests.helpers import ADVISOR_RULE

    return make_platform(tenant_settings=ADVISOR_RULE)


@pytest.fixture
def make_school(make_platform, driver):
    """Factory: a new school (tests.helpers.School), its own tenant with the advisor rule,
    whose people arrive by real signed launches."""
    from tests.helpers import ADVISOR_RULE, School

    return lambda: School(make_platform(tenant_settings=ADVISOR_RULE), driver)


@pytest.fixture
def school(advised_platform, driver):
    """A school of its own (tests.helpers.School) on ``advised_platform``."""
    from tests.helpers import School

    return School(advised_platform, driver)


@pytest.fixture
def seed_listing(app):
    """Factory: a committed open listing (through the listing services); returns its id."""
    from lti_tool.extensions import db
    from tests.internships.work.helpers import add_listing

    def make(tenant_id: int, *, employer: str = "Acme Analytics", **overrides: Any) -> int:
        with app.app_context():
            listing_id = add_listing(tenant_id, employer=employer, **overrides)
            db.session.commit()
            return listing_id

    return make


@dataclass
class Launched:
    response: Any
    lid: str
    home: Any


class LaunchDriver:
    """Performs the real OIDC third-party login and the id_token POST through the tool."""

    def __init__(self, client: Any, platform: LmsPlatform) -> None:
        self.client = client
        self.platform = platform

    def login(self, sub: str = "student-1") -> dict[str, str]:
        resp = self.client.post(
            "/lti/login",
            data={
                "iss": self.platform.issuer,
                "login_hint": sub,
                "client_id": self.platform.client_id,
                "target_link_uri": "http://127.0.0.1/lti/launch",
                "lti_message_hint": "m1",
                "lti_deployment_id": self.platform.deployment_id,
            },
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)
        params = login_redirect_params(resp.headers["Location"])
        assert resp.headers["Location"].startswith(self.platform.issuer + "/auth?")
        return params

    def post(self, id_token: str, state: str) -> Any:
        return self.client.post("/lti/launch", data={"id_token": id_token, "state": state})

    def launch(
        self,
        *,
        sub: str = "student-1",
        role: str = "student",
        course: str | None = "course-1",
        title: str = "BUS 390 Internship Seminar",
        follow: bool = True,
        **claims_kw: Any,
    ) -> Launched:
        params = self.login(sub)
        context = {"id": course, "title": title, "label": "BUS390"} if course else None
        body = self.platform.claims(
            sub=sub, role=role, nonce=params["nonce"], context=context, **claims_kw
        )
        resp = self.post(self.platform.sign(body), params["state"])
        lid, home = landed(self.client, resp, follow)
        return Launched(resp, lid, home)


@pytest.fixture
def lti(client, platform) -> LaunchDriver:
    return LaunchDriver(client, platform)


@pytest.fixture
def driver(app):
    """Factory: a launch driver with its own browser (cookie jar) for a platform."""
    return lambda platform: LaunchDriver(app.test_client(), platform)


@pytest.fixture
def sandbox(app, live_server):
    """The sandbox LMS seeded on the live server's two host names."""
    from lti_tool.sandbox.seed import ensure_sandbox

    with app.app_context():
        return ensure_sandbox(live_server.tool_url, live_server.platform_url)


def sandbox_launch(
    client: Any,
    sandbox: Any,
    *,
    course: str,
    person: str,
    message: str = "resource",
    resource_link: str | None = None,
) -> Launched:
    """A launch the way the sandbox LMS performs it (cookie flow): its page, the tool's login,
    its authorization endpoint, the tool's launch."""
    import html

    page = client.get(
        "/sandbox/launch",
        base_url=sandbox.platform_url,
        query_string={
            "course": course,
            "person": person,
            "message": message,
            "storage": "off",
            **({"resource_link": resource_link} if resource_link else {}),
        },
    ).get_data(as_text=True)
    login = html.unescape(re.search(r'data-login-url="([^"]+)"', page).group(1))
    auth = client.get(login)
    assert auth.status_code == 302, auth.get_data(as_text=True)[:500]
    form = client.get(auth.headers["Location"]).get_data(as_text=True)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', form))
    action = html.unescape(
        re.search(r'id="launch-form" method="post" action="([^"]+)"', form).group(1)
    )
    resp = client.post(action, data=fields)
    lid, home = landed(client, resp)
    return Launched(resp, lid, home)


@pytest.fixture
def pool(app, monkeypatch) -> Iterator[list[Future[Any]]]:
    """The work pool on (JOB_RUNNER "thread", a pool of its own), keeping every job handed to it
    so that a test waits for what a page handed over instead of sleeping."""
    monkeypatch.setattr(workpool, "_executor", None)
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    # ... but not the outbox runner the first request would start with it: tests drive the
    # outbox themselves (jobs.runner starts one only when none is named here).
    monkeypatch.setitem(app.extensions, "outbox_runner", None)
    handed: list[Future[Any]] = []
    real_submit = workpool.submit

    def submit(flask_app: Any, fn: Any, *args: Any) -> Future[Any] | None:
        future = real_submit(flask_app, fn, *args)
        if future is not None:
            handed.append(future)
        return future

    monkeypatch.setattr(workpool, "submit", submit)
    yield handed
    workpool.executor(app).shutdown(wait=True)
    assert app.extensions["outbox_runner"] is None
    assert "outbox-runner" not in {thread.name for thread in threading.enumerate()}
