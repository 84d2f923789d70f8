"""What operators and monitoring reach: the root page and favicon, /healthz (no database),
/readyz (database, Redis, virus scanner; 503 naming the failed check, never a URL), and
Prometheus metrics at /metrics (off unless enabled; a bearer token; endpoints, never paths,
in labels; the outbox's depth and age read from the database)."""

from __future__ import annotations

import logging
import re
import secrets
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, event, update

from lti_tool import create_app, jobs
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.models import Tenant, utcnow
from lti_tool.ops import ProbeLogFilter
from lti_tool.settings import ConfigurationError

TOKEN = "metrics-" + "t" * 30


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Clamd(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ClamdHandler)


class _ClamdHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        if self.request.recv(64) == b"zPING\0":
            self.request.sendall(b"PONG\0")


@pytest.fixture
def clamd() -> Iterator[int]:
    """A stand-in clamd that answers PING (the readiness check's only command)."""
    server = _Clamd()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


# --- the root page and the favicon ------------------------------------------------------------


def test_root_page_in_development_links_to_the_sandbox(client):
    resp = client.get("/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "data-ops-sandbox" in page and 'href="/sandbox"' in page
    assert 'data-ops-url="login">http://localhost/lti/login<' in page
    assert 'data-ops-url="launch">http://localhost/lti/launch<' in page
    assert 'data-ops-url="register">http://localhost/registration/register<' in page
    assert "flask --app lti_tool registration invite" in page


def test_root_page_in_production_says_what_the_tool_is_and_how_to_install_it(app):
    production = create_app(
        "config.testing",
        CAREER_CREDIT_ENV="production",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=secrets.token_urlsafe(32),
        VIRUS_SCAN_OPT_OUT=True,
    )
    client = production.test_client()
    resp = client.get("/", base_url="https://careers.example.edu")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "micro-internships" in page and "Install it in your LMS" in page
    assert "sandbox" not in page.lower()  # production has none
    assert 'data-ops-url="login">https://careers.example.edu/lti/login<' in page
    assert 'data-ops-url="jwks">https://careers.example.edu/lti/jwks/<' in page
    assert "https://careers.example.edu/registration/register" in page
    assert client.get("/sandbox", base_url="https://careers.example.edu").status_code == 404


def test_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).startswith("<svg")
    assert resp.cache_control.max_age == 86400
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg"', page)


# --- /healthz and /readyz ---------------------------------------------------------------------


def test_healthz_answers_without_the_database(app, client):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        resp = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    assert statements == []


def test_readyz_checks_the_database(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {"status": "ok", "checks": {"database": {"status": "ok"}}}
    assert resp.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_scanner(app, client, clamd, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMAV_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CLAMAV_PORT", clamd)
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["scanner"] == {"status": "ok"}

    port = _closed_port()
    monkeypatch.setitem(app.config, "CLAMAV_PORT", port)
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 503
    assert body["status"] == "failed"
    assert body["checks"] == {
        "database": {"status": "ok"},
        "scanner": {"status": "failed", "error": "ConnectionRefusedError"},
    }
    assert str(port) not in resp.get_data(as_text=True)  # no address in the answer


def test_readyz_fails_when_redis_does_not_answer(app, client, monkeypatch):
    port = _closed_port()
    url = f"redis://:hunter2-secret@127.0.0.1:{port}/0"
    monkeypatch.setitem(app.config, "LTI_STATE_REDIS_URL", url)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", url)
    resp = client.get("/readyz")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 503, text
    checks = resp.get_json()["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["redis.lti_state"]["status"] == "failed"
    assert checks["redis.rate_limits"] == checks["redis.lti_state"]  # one URL, one ping
    assert "hunter2" not in text and str(port) not in text


def test_readyz_fails_when_the_database_does_not_answer():
    port = _closed_port()
    broken = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=f"postgresql://tool:db-secret@127.0.0.1:{port}/career_credit",
    )
    resp = broken.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["database"] == {
        "status": "failed",
        "error": "OperationalError",
    }
    assert "db-secret" not in resp.get_data(as_text=True)


def test_successful_probes_stay_out_of_the_access_log():
    from gunicorn.glogging import SafeAtoms

    def record(path: str, status: str) -> logging.LogRecord:
        atoms = SafeAtoms({"h": "127.0.0.1", "m": "GET", "U": path, "s": status, "H": "HTTP/1.1"})
        return logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(U)s", (atoms,), None)

    keep = ProbeLogFilter().filter
    assert keep(record("/healthz", "200")) is False
    assert keep(record("/readyz", "200")) is False
    assert keep(record("/readyz", "503")) is True  # a failing probe is news
    assert keep(record("/home/student", "200")) is True
    assert logging.getLogger("gunicorn.access").filters  # installed by the app


# --- /metrics -----------------------------------------------------------------------------------


@pytest.fixture
def metrics_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def _scrape(client) -> str:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "text/plain"
    return resp.get_data(as_text=True)


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.usefixtures("metrics_on")
def test_metrics_need_the_bearer_token(client):
    assert "career_credit_http_requests_total" in _scrape(client)  # positive control
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        resp = client.get("/metrics", headers=headers)
        assert resp.status_code == 401
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert "career_credit" not in resp.get_data(as_text=True)


def test_metrics_refuse_to_start_without_a_token(app):
    with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
        create_app(
            "config.testing",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            METRICS_ENABLED=True,
            METRICS_TOKEN="short",
        )


@pytest.mark.usefixtures("metrics_on")
def test_requests_are_counted_by_endpoint_and_status_never_by_path(client):
    def count(text: str, labels: str) -> float:
        match = re.search(
            r"^career_credit_http_requests_total\{" + re.escape(labels) + r"\} (\S+)$",
            text,
            re.M,
        )
        return float(match.group(1)) if match else 0.0

    before = _scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/supervisor/evaluate/CAPABILITY-TOKEN-123")  # a signed link: its token is a secret
    client.get("/no/such/page/SECRET-PATH-456")
    after = _scrape(client)
    healthz = 'endpoint="healthz",method="GET",status="200"'
    assert count(after, healthz) == count(before, healthz) + 2
    unmatched = 'endpoint="none",method="GET",status="404"'
    assert count(after, unmatched) == count(before, unmatched) + 1
    assert "CAPABILITY-TOKEN-123" not in after and "SECRET-PATH-456" not in after
    assert 'career_credit_http_request_duration_seconds_bucket{endpoint="healthz"' in after
    assert "/healthz" not in after


@pytest.mark.usefixtures("metrics_on")
def test_outbox_depth_age_and_failures_are_read_at_scrape_time(app, client):
    kind = f"test.ops.{secrets.token_hex(3)}"
    with app.app_context():
        tenant = Tenant(name=f"Ops U {utcnow().isoformat()}", settings={})
        db.session.add(tenant)
        db.session.flush()
        rows = [
            jobs.enqueue(tenant_id=tenant.id, registration_id=None, kind=kind, payload={})
            for _ in range(4)
        ]
        ids = [row.id for row in rows]
        db.session.execute(  # one retrying (a failed attempt behind it), one failed for good
            update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(attempts=2)
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[2])
            .values(status=jobs.FAILED, attempts=25)
        )
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[3]).values(status=jobs.SENT)
        )
        db.session.commit()
    try:
        text = _scrape(client)
    finally:
        with app.app_context():
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            db.session.commit()
    for state, n in (("pending", 1), ("retrying", 1), ("failed", 1)):
        assert f'career_credit_outbox_messages{{kind="{kind}",state="{state}"}} {n}.0' in text
        assert re.search(
            rf'^career_credit_outbox_oldest_age_seconds\{{kind="{re.escape(kind)}",'
            rf'state="{state}"\}} \d',
            text,
            re.M,
        )
    assert f'kind="{kind}",state="sent"' not in text  # settled messages are not scanned
    assert "career_credit_outbox_up 1.0" in text


_WORKER = """
import sys
from lti_tool import create_app

app = create_app(
    "config.testing",
    SQLALCHEMY_DATABASE_URI=sys.argv[1],
    METRICS_ENABLED=True,
    METRICS_TOKEN=sys.argv[2],
)
client = app.test_client()
if sys.argv[3] == "serve":
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
else:
    resp = client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
    assert resp.status_code == 200, resp.status_code
    sys.stdout.write(resp.get_data(as_text=True))
"""


@pytest.mark.slow  # a subprocess
def test_multiprocess_mode_sums_the_workers(app, tmp_path):
    """Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR, the counts one
    process made are in another's scrape (here: one process serves, a second one scrapes)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]

    def worker(action: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _WORKER, app.config["SQLALCHEMY_DATABASE_URI"], TOKEN, action],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    worker("serve")
    assert list(tmp_path.glob("*.db"))  # the serving process left its counts in the directory
    text = worker("scrape")
    labels = 'endpoint="healthz",method="GET",status="200"'
    assert f"career_credit_http_requests_total{{{labels}}} 3.0" in text
    assert "career_credit_outbox_up 1.0" in text
