"""Uploaded files (résumés, deliverables): checked by content, stored under UPLOADS_DIR
(default ``instance/uploads``, a shared volume when several servers run) with random names,
outside the web root; views serve them only after an access check, as attachments."""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lti_tool import virus_scan
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.settings import make_private_dir, write_private_file

OFFICE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
TEXT_TYPES = {"txt": "text/plain", "md": "text/markdown", "csv": "text/csv"}
DELIVERABLE_TYPES_TEXT = "PDF, PNG, JPEG, Word, Excel, PowerPoint, plain text, Markdown or CSV"


class UploadRejectedError(PolicyViolationError):
    """An uploaded file is refused: wrong type by content, too large or empty."""

    def __init__(self, message: str, reason: str = "upload_rejected") -> None:
        super().__init__(message, reason=reason)


@dataclass(frozen=True)
class StoredFile:
    name: str  # the random name under UPLOADS_DIR
    filename: str  # the student's name for it, cleaned
    content_type: str
    size: int


def uploads_dir() -> Path:
    configured = current_app.config["UPLOADS_DIR"]
    path = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    return make_private_dir(path)


def clean_filename(filename: str, default: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", Path(filename or "").name).strip(" .")
    return (name or default)[:200]


def _limit(key: str) -> int:
    return int(current_app.config[key])


def is_pdf(data: bytes) -> bool:
    """The ``%PDF-`` magic, a cross-reference pointer and an end-of-file marker near the end:
    enough structure to refuse renamed images, documents and scripts."""
    if not data.startswith(b"%PDF-") or not re.match(rb"%PDF-\d\.\d", data[:8]):
        return False
    tail = data[-2048:]
    return b"%%EOF" in tail and b"startxref" in data[-4096:] and b"obj" in data


def sniff_deliverable(data: bytes, filename: str) -> str | None:
    """The content type of an acceptable deliverable, judged by its bytes; None if refused."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if is_pdf(data):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04") and ext in OFFICE_TYPES:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "[Content_Types].xml" in archive.namelist():
                    return OFFICE_TYPES[ext]
        except zipfile.BadZipFile:
            return None
    if ext in TEXT_TYPES and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT_TYPES[ext]
    return None


def scan(data: bytes) -> None:
    """Refuse a file the virus scanner flags, or any file while a configured scanner is down
    (fail closed); nothing happens when no scanner is configured (CLAMAV_SOCKET/CLAMAV_HOST)."""
    if not virus_scan.configured():
        return
    try:
        result = virus_scan.scan_bytes(data)
    except virus_scan.ScannerUnavailableError as exc:
        raise UploadRejectedError(
            "The file could not be checked for viruses just now, so it was not accepted. "
            "Try again in a few minutes; if it keeps happening, tell your career center.",
            "scanner_unavailable",
        ) from exc
    if not result.clean:
        raise UploadRejectedError(
            f"The virus scanner found {result.signature} in this file, so it was not accepted. "
            "Scan your computer, then upload a clean copy.",
            "file_infected",
        )


def _write(data: bytes, folder: str, suffix: str) -> str:
    name = f"{folder}/{secrets.token_hex(16)}{suffix}"
    target = uploads_dir() / name
    write_private_file(target, data)  # 0600 in a 0700 folder: students' files
    return name


def store_resume(data: bytes, filename: str) -> StoredFile:
    """Check a résumé (PDF by content, within RESUME_MAX_BYTES) and store it."""
    limit = _limit("RESUME_MAX_BYTES")
    if not data:
        raise UploadRejectedError("The résumé file is empty.", "resume_empty")
    if len(data) > limit:
        raise UploadRejectedError(
            f"The résumé is larger than {limit // (1024 * 1024) or 1} MB.", "resume_too_large"
        )
    if not is_pdf(data):
        raise UploadRejectedError(
            "The résumé must be a PDF file (this file is not a PDF).", "resume_not_pdf"
        )
    scan(data)
    name = _write(data, "resumes", ".pdf")
    return StoredFile(name, clean_filename(filename, "resume.pdf"), "application/pdf", len(data))


def store_deliverable(data: bytes, filename: str) -> StoredFile:
    """Check a deliverable file (type by content, DELIVERABLE_MAX_BYTES) and store it."""
    limit = _limit("DELIVERABLE_MAX_BYTES")
    if not data:
        raise UploadRejectedError("The file is empty.", "file_empty")
    if len(data) > limit:
        raise UploadRejectedError(
            f"The file is larger than {limit // (1024 * 1024) or 1} MB.", "file_too_large"
        )
    content_type = sniff_deliverable(data, filename)
    if content_type is None:
        raise UploadRejectedError(
            f"That type of file is not accepted. Upload {DELIVERABLE_TYPES_TEXT}.", "file_type"
        )
    scan(data)
    clean = clean_filename(filename, "deliverable")
    suffix = "." + clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    return StoredFile(_write(data, "deliverables", suffix[:10]), clean, content_type, len(data))


def open_path(name: str) -> Path:
    """The stored file's path, refusing anything outside UPLOADS_DIR."""
    base = uploads_dir().resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise NotFoundError("That file is no longer available.")
    return path


def remove_file(name: str | None) -> bool:
    """Delete a stored file (a name under UPLOADS_DIR); False if there was none."""
    return _remove(name)


def _remove(name: str | None) -> bool:
    if not name:
        return False
    base = uploads_dir().resolve()
    path = (base / name).resolve()
    if path.is_relative_to(base) and path.is_file():
        path.unlink()
        return True
    return False


def purge_expired_files(tenant_id: int, cutoff: dt.date) -> dict[str, int]:
    """Delete résumés and deliverable files of engagements that ended before ``cutoff`` (their
    end date, or the day they were completed or cancelled), and résumés of applications that
    never became an engagement and last changed before it. The rows stay, without the file."""
    from sqlalchemy import and_, or_, select

    from lti_tool.extensions import db

    from ..models import Application, Deliverable, Engagement

    cutoff_at = dt.datetime.combine(cutoff, dt.time())
    ended = or_(
        and_(Engagement.end_date.is_not(None), Engagement.end_date < cutoff),
        and_(
            Engagement.end_date.is_(None),
            Engagement.status.in_(("completed", "cancelled")),
            Engagement.updated_at < cutoff_at,
        ),
    )
    ended_ids = select(Engagement.id).where(Engagement.tenant_id == tenant_id, ended)
    deliverables = db.session.scalars(
        select(Deliverable).where(
            Deliverable.tenant_id == tenant_id,
            Deliverable.file_path.is_not(None),
            Deliverable.engagement_id.in_(ended_ids),
        )
    ).all()
    for deliverable in deliverables:
        _remove(deliverable.file_path)
        deliverable.file_path = None
    engaged = select(Engagement.application_id).where(Engagement.tenant_id == tenant_id)
    ended_applications = select(Engagement.application_id).where(
        Engagement.tenant_id == tenant_id, ended
    )
    resumes = db.session.scalars(
        select(Application).where(
            Application.tenant_id == tenant_id,
            Application.resume_path.is_not(None),
            or_(
                Application.id.in_(ended_applications),
                and_(Application.id.not_in(engaged), Application.updated_at < cutoff_at),
            ),
        )
    ).all()
    for application in resumes:
        _remove(application.resume_path)
        application.resume_path = None
    db.session.flush()
    return {"resume_files": len(resumes), "deliverable_files": len(deliverables)}
