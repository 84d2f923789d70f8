"""Logs leak no bearer values and cannot be forged: the redaction filter on the record shapes
the loggers really produce, and the production server (gunicorn with config/gunicorn.conf.py)
writing real access and error logs."""

from __future__ import annotations

import http.client
import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gunicorn.glogging import SafeAtoms

from lti_tool.web import RedactFilter, redact

ROOT = Path(__file__).resolve().parents[2]  # the repository: gunicorn reads config/ from here
GUNICORN_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def _handler_output(
    logger_name: str, *args: object, msg: str, filtered: bool = True
) -> tuple[str, str]:
    """What a handler carrying the filter writes for one record, and what logging printed
    about a failure (``handleError`` writes to stderr)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if filtered:
        handler.addFilter(RedactFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.propagate = False
    errors = io.StringIO()
    stderr, sys.stderr = sys.stderr, errors
    try:
        logger.warning(msg, *args)
    finally:
        sys.stderr = stderr
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue(), errors.getvalue()


def test_filter_keeps_gunicorn_mapping_args_working_and_redacts_the_path_token():
    atoms = SafeAtoms(
        {"h": "127.0.0.1", "m": "GET", "U": "/s/hours/HOURSTOKEN", "H": "HTTP/1.1", "s": "200"}
    )
    written, errors = _handler_output("tests.gunicorn.access", atoms, msg=GUNICORN_FORMAT)
    assert errors == ""
    assert written == '127.0.0.1 "GET /s/hours/[redacted] HTTP/1.1" 200 - -ms\n'


def test_filter_leaves_a_clean_mapping_record_a_mapping():
    atoms = SafeAtoms({"h": "127.0.0.1", "m": "GET", "U": "/healthz", "H": "HTTP/1.1"})
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, GUNICORN_FORMAT,
                               (atoms,), None)  # fmt: skip
    assert isinstance(record.args, SafeAtoms)  # what gunicorn's logger.info(fmt, atoms) makes
    RedactFilter().filter(record)
    assert record.args is atoms
    assert record.getMessage() == '127.0.0.1 "GET /healthz HTTP/1.1" - - -ms'


def test_filter_redacts_tuple_args_and_escapes_control_characters():
    written, errors = _handler_output(
        "tests.werkzeug",
        "127.0.0.1",
        "GET /home/?lid=LAUNCH&code=OAUTHCODE&x=1 HTTP/1.1",
        "/lti/login?iss=https://evil.example\nFORGED 200\r\x1b[8m\x85\u2028\t",
        msg='%s - - "%s" %s',
    )
    assert errors == ""
    assert "LAUNCH" not in written and "OAUTHCODE" not in written
    assert "lid=[redacted]&code=[redacted]&x=1" in written
    assert written.endswith(r"evil.example\nFORGED 200\r\x1b[8m\x85\u2028\t" + "\n")
    assert written.count("\n") == 1


def test_filter_drops_arguments_that_do_not_fit_the_message():
    written, errors = _handler_output(
        "tests.broken", "lid=SECRETLAUNCH", msg="two values %s and %s"
    )
    assert errors == ""  # logging's own error report would print the arguments
    assert "SECRETLAUNCH" not in written
    assert "log arguments dropped" in written


def test_redact_covers_every_signed_link_and_query_credential():
    line = (
        "/s/select/SEL/resume/3 /s/evaluate/EVAL /s/listing/INV?invite=INV2 "
        "https://tool.example/s/hours/HRS?state=ST&nonce=NO&id_token=IDT&login_hint=LH"
        "&lti_message_hint=MH&registration_token=RT&token=TK /supervisor/hours/SUPH"
    )
    safe = redact(line)
    for secret in ("SEL", "EVAL", "INV", "HRS", "ST&", "NO&", "IDT", "LH", "MH", "RT", "TK"):
        assert secret not in safe
    assert "SUPH" not in safe and "/supervisor/hours/[redacted]" in safe
    assert "/s/select/[redacted]/resume/3" in safe
    assert "/s/hours/[redacted]?state=[redacted]" in safe


def test_redact_keeps_werkzeug_colours_only_on_request():
    assert redact("\x1b[33mGET / HTTP/1.1\x1b[0m", keep_colour=True) == (
        "\x1b[33mGET / HTTP/1.1\x1b[0m"
    )
    assert redact("\x1b[33mx\x1b[8m", keep_colour=True) == "\x1b[33mx\\x1b[8m"
    assert redact("\x1b[33mx") == "\\x1b[33mx"


def test_every_record_of_the_app_process_is_made_safe(app):
    """create_app installs the filter for every logger, including the app's own (which under
    gunicorn reach stderr through logging's last resort handler)."""
    written, errors = _handler_output(
        "career_credit.tests",
        "https://evil.example\nFORGED",
        "/s/hours/TK",
        msg="iss %s at %s",
        filtered=False,
    )
    assert errors == ""
    assert written == "iss https://evil.example\\nFORGED at /s/hours/[redacted]\n"


# --- the production server ----------------------------------------------------------------

SECRETS = (
    "LAUNCHSECRET",
    "OAUTHCODESECRET",
    "STATESECRET",
    "QUERYTOKENSECRET",
    "HINTSECRET",
    "HOURSTOKENSECRET",
    "SUPERVISORTOKENSECRET",
    "SELECTTOKENSECRET",
    "EVALTOKENSECRET",
    "LISTINGTOKENSECRET",
    "INVITESECRET",
)
# Each request's path appears in exactly one access line; the query string is not logged.
REQUESTS = {
    "/home/?lid=LAUNCHSECRET&code=OAUTHCODESECRET&state=STATESECRET&token=QUERYTOKENSECRET": (
        '"GET /home/ HTTP/1.1"'
    ),
    "/s/hours/HOURSTOKENSECRET": '"GET /s/hours/[redacted] HTTP/1.1"',  # an old address: 308
    "/supervisor/hours/SUPERVISORTOKENSECRET": '"GET /supervisor/hours/[redacted] HTTP/1.1"',
    "/supervisor/select/SELECTTOKENSECRET/resume/3": (
        '"GET /supervisor/select/[redacted]/resume/3 HTTP/1.1"'
    ),
    "/supervisor/listing/LISTINGTOKENSECRET?invite=INVITESECRET": (
        '"GET /supervisor/listing/[redacted] HTTP/1.1"'
    ),
    # A newline in a query value the app logs (the unknown issuer) ...
    "/lti/login?iss=https%3A%2F%2Fevil.example%0AFORGED-ENTRY%20127.0.0.1%20%22GET%20%2Fadmin"
    "%22&login_hint=HINTSECRET&target_link_uri=https%3A%2F%2Ftool.example%2F": (
        '"GET /lti/login HTTP/1.1"'
    ),
    # ... and in the path the access log writes decoded.
    "/supervisor/evaluate/EVALTOKENSECRET%0D%0AFORGED-ENTRY%1B%5B8m": (
        '"GET /supervisor/evaluate/[redacted] HTTP/1.1"'
    ),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAREER_CREDIT_") and k not in ("DATABASE_URL", "SECRET_KEY")
    }
    env.update(
        CAREER_CREDIT_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path}/gunicorn.db",
        CAREER_CREDIT_INSTANCE=str(tmp_path / "instance"),
        CAREER_CREDIT_BIND=f"127.0.0.1:{port}",
        CAREER_CREDIT_WORKERS="2",
        CAREER_CREDIT_JOB_RUNNER="off",
        PYTHONUNBUFFERED="1",
    )
    return env


def _get(port: int, path: str, timeout: float = 30.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait_until_answering(port: int, server: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited ({server.returncode}): {stderr.read_text()[-2000:]}")
        try:
            if _get(port, "/healthz", timeout=5) == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)  # polling interval, bounded by the deadline
    pytest.fail("gunicorn did not answer /healthz within 120 s")


@pytest.mark.slow  # a subprocess
def test_gunicorn_access_and_error_logs_are_complete_redacted_and_unforgeable(tmp_path):
    port = _free_port()
    env = _server_env(tmp_path, port)
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "lti_tool", "db", "upgrade", "heads"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    command = [
        str(bin_dir / "gunicorn"),
        "-c", "config/gunicorn.conf.py",
        "--access-logfile", str(access),
        "--error-logfile", str(errors),
        "lti_tool:create_app()",
    ]  # fmt: skip
    with stdout.open("wb") as out, stderr.open("wb") as err:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)  # noqa: S603 - our own gunicorn
        try:
            _wait_until_answering(port, server, stderr)
            statuses = {path: _get(port, path) for path in REQUESTS}
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
    # no 500s (the old address of a signed link is a redirect)
    assert all(400 <= status < 500 or status == 308 for status in statuses.values()), statuses

    logs = {f.name: f.read_text() for f in (access, errors, stdout, stderr)}
    everything = "\n".join(logs.values())
    for failure in ("TypeError", "Traceback", "format requires a mapping", "Logging error"):
        assert failure not in everything
    for secret in SECRETS:
        assert secret not in everything, secret

    access_lines = logs["access.log"].splitlines()
    for expected in REQUESTS.values():
        assert sum(expected in line for line in access_lines) == 1, (expected, access_lines)
    assert all(line.startswith('127.0.0.1 "GET /') for line in access_lines), access_lines
    assert len(access_lines) == len(REQUESTS) + sum('"GET /healthz ' in x for x in access_lines)

    # The injected newlines stayed inside their records, escaped.
    assert r'/supervisor/evaluate/[redacted] HTTP/1.1"' in logs["access.log"]
    assert re.search(r"evil\.example\\nFORGED-ENTRY 127\.0\.0\.1", logs["stderr.log"])
    for text in logs.values():
        assert not any(line.startswith("FORGED-ENTRY") for line in text.splitlines())
        assert "\x1b" not in text
