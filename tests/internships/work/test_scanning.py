"""Uploads are scanned by ClamAV's daemon when one is configured: the EICAR test file is
refused with a clear message, a clean PDF is accepted, and a configured scanner that does not
answer refuses the upload (fail closed). Nothing is stored for a refused file.

The EICAR tests need a running clamd (``.ci/clamd.sh`` starts one with an EICAR-only
signature database, no internet needed); without one they are skipped locally with the reason,
and under CI=true a skip fails the run."""

from __future__ import annotations

import io
import os
import socket

import pytest
from sqlalchemy import func, select

from internships.work.models import Application, Engagement
from lti_tool.extensions import db
from tests.helpers import csrf_token

from .helpers import (
    PDF,
    accept_via_advisor,
    acknowledge_on_page,
    submit_application,
    the_application,
)

CLAMD_HOST = os.environ.get("CLAMAV_TEST_HOST", "127.0.0.1")
CLAMD_PORT = int(os.environ.get("CLAMAV_TEST_PORT", "3310"))

# The EICAR anti-virus test string, built from two halves so that this file does not trip a
# scanner on a developer's machine.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def _clamd_answers() -> str | None:
    """None when clamd answers PING at CLAMD_HOST:CLAMD_PORT, else why not."""
    try:
        with socket.create_connection((CLAMD_HOST, CLAMD_PORT), timeout=2) as sock:
            sock.sendall(b"zPING\0")
            if sock.recv(16).rstrip(b"\0") == b"PONG":
                return None
            return f"something at {CLAMD_HOST}:{CLAMD_PORT} is not clamd"
    except OSError as exc:
        return f"no clamd at {CLAMD_HOST}:{CLAMD_PORT} ({exc}); start one with .ci/clamd.sh"


_CLAMD_MISSING = _clamd_answers()
needs_clamd = pytest.mark.skipif(_CLAMD_MISSING is not None, reason=str(_CLAMD_MISSING))


@pytest.fixture
def world(school, seed_listing):
    return {
        "student": school.person("student"),
        "advisor": school.person("advisor"),
        "listing": seed_listing(school.tenant_id, competencies=["Teamwork"]),
    }


@pytest.fixture
def scanner(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMAV_HOST", CLAMD_HOST)
    monkeypatch.setitem(app.config, "CLAMAV_PORT", CLAMD_PORT)
    monkeypatch.setitem(app.config, "CLAMAV_SOCKET", "")


def _pdf_with(payload: bytes) -> bytes:
    """A PDF (passes the type check by content) that carries ``payload`` in a stream."""
    head, tail = PDF.split(b"xref\n", 1)
    return (
        head
        + b"3 0 obj\n<< /Length 68 >>\nstream\n"
        + payload
        + b"\nendstream\nendobj\n"
        + (b"xref\n" + tail)
    )


def _applications(app, listing_id: int) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(Application.id)).where(Application.listing_id == listing_id)
            )
        )


def _uploads(app) -> set[str]:
    from internships.work.services.uploads import uploads_dir

    with app.test_request_context():
        return {str(p) for p in uploads_dir().rglob("*") if p.is_file()}


@needs_clamd
def test_clean_pdf_is_accepted_and_eicar_is_refused(app, world, scanner):
    student = world["student"]
    before = _uploads(app)
    refused = submit_application(
        student, world["listing"], resume=(io.BytesIO(_pdf_with(EICAR)), "cv.pdf")
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "The virus scanner found CareerCredit.Test.EICAR" in text or (
        "The virus scanner found" in text and "Eicar" in text
    )
    assert "so it was not accepted" in text
    assert _applications(app, world["listing"]) == 0
    assert _uploads(app) == before  # nothing stored

    accepted = submit_application(student, world["listing"])  # the clean PDF
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:500]
    assert _applications(app, world["listing"]) == 1


@needs_clamd
def test_eicar_deliverable_is_refused(app, world, scanner):
    student = world["student"]
    submit_application(student, world["listing"])
    accept_via_advisor(world, the_application(app, student.sub).id)
    with app.app_context():
        engagement_id = db.session.scalar(select(Engagement.id).order_by(Engagement.id.desc()))
    acknowledge_on_page(student, engagement_id)  # deliverables count from then on
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))

    def upload(data: bytes, name: str):
        return student.client.post(
            f"{url}",
            data={
                "form": "deliverable",
                "lid": student.lid,
                "csrf_token": token,
                "title": name,
                "file": (io.BytesIO(data), name),
            },
            content_type="multipart/form-data",
        )

    clean = upload(b"Interview notes, all clean.\n", "notes.txt")
    assert clean.status_code == 303, clean.get_data(as_text=True)[:3000]
    refused = upload(EICAR, "eicar.txt")
    assert refused.status_code == 422
    assert "The virus scanner found" in refused.get_data(as_text=True)


def test_a_configured_scanner_that_is_down_refuses_uploads(app, world, monkeypatch, tmp_path):
    student = world["student"]
    monkeypatch.setitem(app.config, "CLAMAV_SOCKET", str(tmp_path / "no-clamd.sock"))
    refused = submit_application(student, world["listing"])
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "could not be checked for viruses just now" in text
    assert _applications(app, world["listing"]) == 0

    monkeypatch.setitem(app.config, "CLAMAV_SOCKET", "")  # no scanner configured: not scanned
    assert submit_application(student, world["listing"]).status_code == 303


def test_a_scanner_that_answers_with_an_error_refuses_uploads(app, world, monkeypatch):
    """A listener that closes without a verdict (or says ERROR) is not taken as "clean"."""
    student = world["student"]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    monkeypatch.setitem(app.config, "CLAMAV_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CLAMAV_PORT", server.getsockname()[1])
    monkeypatch.setitem(app.config, "CLAMAV_TIMEOUT_S", 5)

    import threading

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        refused = submit_application(student, world["listing"])
    finally:
        thread.join(5)
        server.close()
    assert refused.status_code == 422
    assert "could not be checked for viruses just now" in refused.get_data(as_text=True)
