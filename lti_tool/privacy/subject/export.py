"""Exporting everything held about one person as a zip (data.json and their files)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from ...actor import Actor
from ...crypto import EncryptedText
from ...extensions import db
from ...lti import rosters
from ...models import Tenant, User, utcnow
from ...services import audit
from ...web import redact
from ..schema import load_all_models
from .holdings import SECRET_COLUMNS, Holdings, collect, upload_path


def _exportable(table: str, row: dict[str, Any], metadata_tables: dict[str, Table]) -> dict:
    out: dict[str, Any] = {}
    table_obj = metadata_tables[table]
    for name, value in row.items():
        column = table_obj.c[name]
        secret = (
            isinstance(column.type, EncryptedText)
            or (table, name) in SECRET_COLUMNS
            or any(word in name for word in ("token", "secret", "hash"))
        )
        out[name] = "[secret: not exported]" if secret and value is not None else value
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _export_data(user: User, held: Holdings) -> dict[str, Any]:
    """The contents of ``data.json``; ``files`` is filled while the zip is written."""
    tables = load_all_models().tables
    data: dict[str, Any] = {
        "format": "career-credit-subject-export/1",
        "exported_at": utcnow().isoformat(),
        "tenant": db.session.get(Tenant, user.tenant_id).name,  # type: ignore[union-attr]
        "person": {"id": user.id, "sub": user.sub, "name": user.name, "email": user.email},
        "records": {
            name: [_exportable(name, row, tables) for _, row in sorted(rows.items())]
            for name, rows in sorted(held.owned.items())
            if rows
        },
        "records_mentioning": {
            name: [_exportable(name, row, tables) for _, row in sorted(rows.items())]
            for name, rows in sorted(held.mentions.items())
            if rows
        },
        "audit_entries": [
            {
                "at": e.created_at,
                "actor": e.actor,
                "action": e.action,
                "detail": e.detail,
            }
            for e in held.audit_entries
        ],
        # a supervisor's mail about them carries the supervisor's capability link: never hand
        # it to the student (it would let them evaluate themselves)
        "emails_sent": [{**e, "body": redact(str(e.get("body") or ""))} for e in held.emails],
        "messages_to_the_lms": held.platform_messages,
        "kept_roster_entries": rosters.entries_about(user),  # as the LMS's roster lists them
        "files": [],
    }
    return data


def _write_zip(held: Holdings, data: dict[str, Any]) -> bytes:
    """The zip: the person's files (each listed in ``data["files"]``), data.json, a README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, key, column, name in held.files:
            path = upload_path(name)
            entry = {"table": table, "id": key, "column": column, "stored_as": name}
            if path is None:
                entry["missing"] = True
            else:
                entry["file"] = f"files/{table}-{key}-{Path(name).name}"
                archive.write(path, entry["file"])
            data["files"].append(entry)
        archive.writestr(
            "data.json", json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)
        )
        archive.writestr(
            "README.txt",
            "Everything Career Credit holds about one person.\n"
            "data.json: records (rows that are theirs, by table), records_mentioning (rows of "
            "others that name them), audit_entries, emails_sent, messages_to_the_lms (grades "
            "sent to the LMS for them), kept_roster_entries (their entries in course rosters "
            "read from the LMS), files.\n"
            "files/: their uploaded files (résumés, deliverables).\n"
            "Secrets (session ids, tokens) are marked '[secret: not exported]'.\n",
        )
    return buffer.getvalue()


def export_zip(actor: Actor, user: User) -> tuple[bytes, dict[str, int]]:
    """A zip with ``data.json`` (every row about the person, the audit entries that concern
    them, emails sent to them) and ``files/`` (résumés, deliverables). Audited."""
    held = collect(user)
    data = _export_data(user, held)
    archive = _write_zip(held, data)
    counts = held.counts()
    audit.record(
        actor,
        "student.export",
        user.tenant_id,
        user_id=user.id,
        tables=counts,
        files=len([f for f in data["files"] if "file" in f]),
        audit_entries=len(held.audit_entries),
    )
    db.session.flush()
    return archive, counts
