"""A data subject's rights (FERPA; GDPR outside the US): export everything held about one person,
pseudonymise them, or erase them. Which rows are theirs is read from the schema
(``schema.user_references``), so tables added later are covered without changes here.

- Rows *owned* by the person: a foreign key to ``lti_user`` in a column named ``student_id`` or
  ``user_id``, and rows hanging off such a row (an engagement's deliverables, an evaluation's
  ratings). Rows that only *mention* them (another foreign key to ``lti_user``, e.g. the
  author of a note) are exported but belong to someone else.
- Free text in owned rows: ``Text`` columns, ``String`` columns of 500 characters or more, file
  names, JSON objects of strings (answers to prompts), and columns marked
  ``info={"personal": "free_text"}`` (``"keep"`` opts out). Shorter strings keep their value
  with the person's name, email and LMS id replaced by the pseudonym; columns that record who
  acted (``*_by``, "Name <email> (user N)") name the pseudonym in every table of the tenant.
- Files: columns named ``*_path`` hold a name under UPLOADS_DIR.

Pseudonymise keeps every row (so hours totals, ratings and credit stay in the aggregates),
replaces name, email and ``sub`` with a stable pseudonym, clears free text, deletes files and
open sessions, and rewrites the audit trail to name the pseudonym. Erase does the same, then
deletes every owned row and the person. Each operation writes an audit entry with counts only.
Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Column, String, Table, Text, delete, func, or_, select, update
from sqlalchemy import cast as sql_cast

from ..crypto import EncryptedText
from ..errors import NotFoundError, PolicyViolationError
from ..extensions import db
from ..models import AuditEntry, Tenant, User, utcnow
from ..services import audit
from ..web import redact
from .hooks import run_erasure_hooks
from .schema import load_all_models, user_references

log = logging.getLogger("career_credit.privacy")

PSEUDONYM_PREFIX = "pseudonym-"
# Rows deleted outright on pseudonymisation: open sessions (their claims carry name and email)
# and the messages waiting for their next page.
SESSION_TABLES = ("launch", "launch_message")
# Never exported in clear: bearer values and secrets.
SECRET_COLUMNS = {("launch", "id"), ("launch_message", "launch_id")}
# Tables collected by what else names the person, not by the schema's foreign keys alone.
SPECIAL_TABLES = ("email_message",)
FREE_TEXT_MIN_LENGTH = 500


@dataclass
class Holdings:
    """Everything found about one person: rows per table (owned and mentioning), audit
    entries, emails sent to them, and their files."""

    user: User
    owned: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    mentions: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    mention_columns: dict[str, list[str]] = field(default_factory=dict)
    audit_entries: list[AuditEntry] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    platform_messages: list[dict[str, Any]] = field(default_factory=list)  # grades sent to the LMS
    files: list[tuple[str, Any, str, str]] = field(default_factory=list)  # table, pk, col, name
    login_states: list[Any] = field(default_factory=list)  # lti_state keys naming them

    def counts(self) -> dict[str, int]:
        counts = {name: len(rows) for name, rows in sorted(self.owned.items()) if rows}
        for name, rows in sorted(self.mentions.items()):
            if rows:
                counts[f"{name} (mentions)"] = len(rows)
        return counts


@dataclass(frozen=True)
class Outcome:
    user_id: int
    pseudonym: str
    rows_changed: dict[str, int]
    rows_deleted: dict[str, int]
    files_deleted: int
    audit_entries_rewritten: int


def find_person(tenant_name: str, sub: str, issuer: str | None = None) -> User:
    """The person with this LMS user id (``sub``) at the named tenant; with two LMSs that
    send the same id, ``issuer`` names the LMS (an ambiguous id is refused, never guessed)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise NotFoundError(f"There is no tenant named {tenant_name!r}.")
    query = select(User).where(User.tenant_id == tenant.id, User.sub == sub)
    if issuer:
        query = query.where(User.issuer == issuer)
    users = list(db.session.scalars(query.order_by(User.id).limit(10)))
    if not users:
        raise NotFoundError(f"Nobody with LMS user id {sub!r} is known at {tenant_name}.")
    if len(users) > 1:
        raise PolicyViolationError(
            f"{len(users)} people have LMS user id {sub!r} at {tenant_name}, one per LMS "
            f"({', '.join(repr(u.issuer) for u in users)}); nothing was done.",
            hint="Name the LMS with --issuer.",
            reason="ambiguous_person",
        )
    return users[0]


def find_in_tenant(tenant_id: int, query: str) -> User:
    """The person of the tenant with this email address (any case) or LMS user id; more than
    one person matching (the same id or address in two LMSs) is refused, never guessed."""
    query = query.strip()
    users = list(
        db.session.scalars(
            select(User)
            .where(
                User.tenant_id == tenant_id,
                or_(User.sub == query, func.lower(User.email) == query.lower()),
            )
            .order_by(User.id)
            .limit(10)
        )
    )
    if not users or not query:
        raise NotFoundError(
            "Nobody with that email address or LMS user id has opened Career Credit at your "
            "institution.",
            reason="person_not_found",
        )
    if len(users) > 1:
        raise PolicyViolationError(
            f"{len(users)} people at your institution match (the same LMS user id or email "
            "address in more than one LMS); nothing was done.",
            hint="Ask your operator to run the command with --user and --issuer naming the "
            "LMS (flask --app lti_tool students export|pseudonymise|erase), or link the "
            "identities first under Identities.",
            reason="ambiguous_person",
        )
    return users[0]


def get_person(tenant_id: int, user_id: int) -> User:
    user = db.session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFoundError("That person is not known at your institution.")
    return user


def _pk(table: Table) -> Column:
    return next(iter(table.primary_key.columns))


def _tenant_filter(table: Table, tenant_id: int) -> list[Any]:
    return [table.c.tenant_id == tenant_id] if "tenant_id" in table.c else []


def _rows(table: Table, *where: Any) -> dict[Any, dict[str, Any]]:
    pk = _pk(table)
    result = db.session.execute(select(table).where(*where)).mappings()
    return {row[pk.name]: dict(row) for row in result}


def uploads_root() -> Path:
    configured = current_app.config["UPLOADS_DIR"]
    path = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    return path.resolve()


def upload_path(name: str) -> Path | None:
    """A stored file's path, or None if it is missing or outside UPLOADS_DIR."""
    base = uploads_root()
    path = (base / name).resolve()
    return path if path.is_relative_to(base) and path.is_file() else None


def collect(user: User) -> Holdings:
    """Find every row, audit entry, email and file held about ``user``."""
    metadata = load_all_models()
    held = Holdings(user)
    tenant_id = user.tenant_id
    for ref in user_references(metadata):
        table = ref.table
        if table.name in SPECIAL_TABLES:
            continue  # collected below, with what else names the person
        if ref.depth == 1:
            rows = _rows(table, ref.column == user.id, *_tenant_filter(table, tenant_id))
            if ref.owner:
                held.owned.setdefault(table.name, {}).update(rows)
            else:
                held.mentions.setdefault(table.name, {}).update(rows)
                held.mention_columns.setdefault(table.name, []).append(ref.column.name)
        else:
            parents = list(held.owned.get(ref.parent, {}))
            if parents:
                rows = _rows(table, ref.column.in_(parents), *_tenant_filter(table, tenant_id))
                held.owned.setdefault(table.name, {}).update(rows)
    for name, rows in held.owned.items():
        for key, row in rows.items():
            for column, value in row.items():
                if column.endswith("_path") and isinstance(value, str) and value:
                    held.files.append((name, key, column, value))
    held.audit_entries = _audit_entries(user)
    email_table = metadata.tables.get("email_message")
    if email_table is not None:
        # mail to them, and mail about them to others (a supervisor's link to evaluate them)
        about = (
            [email_table.c.subject_user_id == user.id] if "subject_user_id" in email_table.c else []
        )
        to = [email_table.c.to_address == user.email] if user.email else []
        if about or to:
            held.emails = list(
                _rows(
                    email_table, or_(*about, *to), *_tenant_filter(email_table, tenant_id)
                ).values()
            )
    held.login_states = _login_states(user)
    outbox = metadata.tables.get("outbox_message")
    if outbox is not None:
        held.platform_messages = list(
            _rows(
                outbox,
                outbox.c.tenant_id == tenant_id,
                sql_cast(outbox.c.payload, Text).like(f'%"{user.sub}"%'),
            ).values()
        )
    return held


def _login_states(user: User) -> list[Any]:
    """OIDC login records (``lti_state``) naming the person: the login hint and the other
    values a login keeps for a restart are the LMS's identifiers of them. The records expire
    within minutes (LTI_STATE_LIFETIME_S); Redis-held ones expire on their own."""
    from ..models import LtiState

    quoted = [f'%"{value}"%' for value in _identifiers(user) if '"' not in value]
    if not quoted:
        return []
    return list(
        db.session.scalars(
            select(LtiState.key).where(
                LtiState.key.startswith("state:"), or_(*[LtiState.value.like(q) for q in quoted])
            )
        )
    )


MIN_SUBSTRING = 5  # shorter identifiers (Moodle's numeric user ids) only match whole values


def _identifiers(user: User) -> list[str]:
    """The strings that identify the person: email, LMS user id, name (longest first)."""
    values = {user.email, user.sub, user.name}
    return sorted((v for v in values if v), key=len, reverse=True)


def _audit_entries(user: User) -> list[AuditEntry]:
    detail_text = sql_cast(AuditEntry.detail, Text)
    patterns = [
        f"%{value}%" if len(value) >= MIN_SUBSTRING else f'%"{value}"%'
        for value in _identifiers(user)
    ]
    patterns += [f'%"user_id": {user.id}%', f'%"student_id": {user.id}%']
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.tenant_id == user.tenant_id,
                or_(
                    AuditEntry.actor.contains(f"(user {user.id})"),
                    *[detail_text.like(p) for p in patterns],
                ),
            )
            .order_by(AuditEntry.id)
        )
    )


# --- export ------------------------------------------------------------------------------------


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


def export_zip(user: User, actor: str) -> tuple[bytes, dict[str, int]]:
    """A zip with ``data.json`` (every row about the person, the audit entries that concern
    them, emails sent to them) and ``files/`` (résumés, deliverables). Audited."""
    held = collect(user)
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
        "files": [],
    }
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
            "sent to the LMS for them), files.\n"
            "files/: their uploaded files (résumés, deliverables).\n"
            "Secrets (session ids, tokens) are marked '[secret: not exported]'.\n",
        )
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
    return buffer.getvalue(), counts


# --- pseudonymise and erase --------------------------------------------------------------------


def pseudonym_for(user: User) -> str:
    """Stable for a person: an HMAC of tenant and LMS user id under the app's secret key."""
    if user.sub.startswith(PSEUDONYM_PREFIX):
        return user.sub
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{user.tenant_id}:{user.sub}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:12]


def _in_unique(table: Table, column: Column) -> bool:
    from sqlalchemy import UniqueConstraint

    return column.unique is True or any(
        isinstance(c, UniqueConstraint) and column.name in c.columns for c in table.constraints
    )


def _is_free_text(column: Column, value: Any) -> bool:
    marked = column.info.get("personal")
    if marked in ("free_text", "keep"):
        return marked == "free_text"
    if column.primary_key or column.foreign_keys or isinstance(column.type, EncryptedText):
        return False
    if "filename" in column.name:
        return True
    if isinstance(column.type, JSON):  # answers to prompts: an object of strings
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if isinstance(column.type, String):  # Text is a String without a length
        length = column.type.length
        return length is None or length >= FREE_TEXT_MIN_LENGTH
    return False


def _cleared(table: Table, column: Column, key: Any, value: Any) -> Any:
    if value in (None, "", [], {}):
        return value
    if isinstance(column.type, JSON):
        return {} if isinstance(value, dict) else [] if isinstance(value, list) else None
    if column.nullable:
        return None
    return f"[removed {key}]" if _in_unique(table, column) else ""


def _scrub(value: Any, identifiers: list[str], pseudonym: str) -> Any:
    """``value`` with every identifier of the person replaced by the pseudonym (a short
    identifier only where it is the whole value)."""
    if isinstance(value, str):
        for ident in identifiers:
            if value == ident:
                return pseudonym
            if len(ident) >= MIN_SUBSTRING:
                value = value.replace(ident, pseudonym)
        return value
    if isinstance(value, list):
        return [_scrub(v, identifiers, pseudonym) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, identifiers, pseudonym) for k, v in value.items()}
    return value


def _rewrite_audit(held: Holdings, pseudonym: str) -> int:
    user = held.user
    identifiers = _identifiers(user)
    marker = f"(user {user.id})"
    rewritten = 0
    for entry in held.audit_entries:
        actor = f"{pseudonym} {marker}" if marker in entry.actor else entry.actor
        actor = _scrub(actor, identifiers, pseudonym)[:255]
        detail = _scrub(entry.detail or {}, identifiers, pseudonym)
        if actor != entry.actor or detail != entry.detail:
            entry.actor, entry.detail = actor, detail
            rewritten += 1
    return rewritten


def _rewrite_actor_columns(user: User, pseudonym: str, tables: Any) -> dict[str, int]:
    """Columns that record who did something (``decided_by``, ``reviewed_by``, …) hold the
    actor as "Name <email> (user N)"; in every table of the tenant, those naming the person
    now name the pseudonym."""
    marker = f"(user {user.id})"
    counts: dict[str, int] = {}
    for table in tables.values():
        if "tenant_id" not in table.c:
            continue
        for column in table.columns:
            if not column.name.endswith("_by") or not isinstance(column.type, String):
                continue
            result = db.session.execute(
                update(table)
                .where(table.c.tenant_id == user.tenant_id, column.contains(marker))
                .values({column.name: f"{pseudonym} {marker}"})
            )
            rows = int(getattr(result, "rowcount", 0) or 0)
            if rows:
                counts[table.name] = counts.get(table.name, 0) + rows
    return counts


def _delete_files(held: Holdings) -> int:
    deleted = 0
    for _table, _key, _column, name in held.files:
        path = upload_path(name)
        if path is not None:
            path.unlink()
            deleted += 1
    return deleted


def _pseudonymise(
    held: Holdings, pseudonym: str
) -> tuple[dict[str, int], dict[str, int], int, int]:
    user = held.user
    identifiers = _identifiers(user)
    tables = load_all_models().tables
    changed: dict[str, int] = {}
    deleted: dict[str, int] = {}
    files = _delete_files(held)
    for name, rows in held.owned.items():
        table = tables[name]
        pk = _pk(table)
        if name in SESSION_TABLES:
            if rows:
                db.session.execute(delete(table).where(pk.in_(list(rows))))
                deleted[name] = len(rows)
            continue
        for key, row in rows.items():
            values: dict[str, Any] = {}
            for column in table.columns:
                value = row[column.name]
                if column.name.endswith("_path") and value:
                    new = None if column.nullable else ""
                elif _is_free_text(column, value):
                    new = _cleared(table, column, key, value)
                elif isinstance(value, str) and not column.foreign_keys:
                    new = _scrub(value, identifiers, pseudonym)
                else:
                    continue
                if new != value:
                    values[column.name] = new
            if values:
                db.session.execute(update(table).where(pk == key).values(values))
                changed[name] = changed.get(name, 0) + 1
    email_table = tables.get("email_message")
    if email_table is not None and held.emails:
        ids = [row["id"] for row in held.emails]
        for chunk in _chunks(ids, 500):
            db.session.execute(delete(email_table).where(email_table.c.id.in_(chunk)))
        deleted["email_message"] = len(ids)
    if held.login_states:
        from ..models import LtiState

        for chunk in _chunks(held.login_states, 500):
            db.session.execute(delete(LtiState).where(LtiState.key.in_(chunk)))
        deleted["lti_state"] = len(held.login_states)
    for name, count in run_erasure_hooks(user.tenant_id, user.id).items():
        deleted[name] = deleted.get(name, 0) + count
    outbox = tables.get("outbox_message")
    for message in held.platform_messages:
        # Delivered (or abandoned) messages keep their history under the pseudonym; messages
        # still to be delivered keep the LMS's user id, or the grade would never arrive.
        if outbox is not None and message["status"] in ("sent", "superseded", "failed"):
            payload = _scrub(message["payload"], [user.sub], pseudonym)
            db.session.execute(
                update(outbox).where(outbox.c.id == message["id"]).values(payload=payload)
            )
            changed["outbox_message"] = changed.get("outbox_message", 0) + 1
    for name, count in _rewrite_actor_columns(user, pseudonym, tables).items():
        changed[name] = changed.get(name, 0) + count
    rewritten = _rewrite_audit(held, pseudonym)
    user.name = f"Pseudonymised person {pseudonym.removeprefix(PSEUDONYM_PREFIX)[:6]}"
    user.email = ""
    user.sub = pseudonym
    changed["lti_user"] = 1
    return changed, deleted, files, rewritten


def pseudonymise(user: User, actor: str) -> Outcome:
    """Keep the person's rows for the aggregates, under a pseudonym, without free text or
    files. Audited (counts only); flushes."""
    held = collect(user)
    pseudonym = pseudonym_for(user)
    changed, deleted, files, rewritten = _pseudonymise(held, pseudonym)
    outcome = Outcome(user.id, pseudonym, changed, deleted, files, rewritten)
    _record(actor, "student.pseudonymise", user.tenant_id, outcome)
    return outcome


def erasure_blockers(held: Holdings) -> list[str]:
    """Rows of others that must name the person (a non-null reference): erase refuses then."""
    tables = load_all_models().tables
    blockers = []
    for name, columns in held.mention_columns.items():
        for column in columns:
            if not tables[name].c[column].nullable:
                rows = held.mentions[name].values()
                count = sum(1 for row in rows if row[column] == held.user.id)
                if count:
                    blockers.append(f"{name}.{column} ({count})")
    return blockers


def erase(user: User, actor: str) -> Outcome:
    """Delete the person, every row they own and their files; the audit trail is kept and
    names their pseudonym. Refused when others' records must name them. Audited; flushes."""
    held = collect(user)
    blockers = erasure_blockers(held)
    if blockers:
        raise PolicyViolationError(
            "This person is named in other people's records that need them "
            f"({', '.join(blockers)}), so they cannot be erased. Pseudonymise them instead.",
            reason="erase_blocked",
        )
    pseudonym = pseudonym_for(user)
    _changed, deleted, files, rewritten = _pseudonymise(held, pseudonym)
    metadata = load_all_models()
    for name, columns in held.mention_columns.items():
        table = metadata.tables[name]
        for column in columns:
            db.session.execute(
                update(table).where(table.c[column] == user.id).values({column: None})
            )
    for table in reversed(metadata.sorted_tables):
        keys = list(held.owned.get(table.name, {}))
        if keys and table.name not in SESSION_TABLES:
            for chunk in _chunks(keys, 500):
                db.session.execute(delete(table).where(_pk(table).in_(chunk)))
            deleted[table.name] = len(keys)
    user_id, tenant_id = user.id, user.tenant_id
    db.session.delete(user)
    db.session.flush()
    deleted["lti_user"] = 1
    outcome = Outcome(user_id, pseudonym, {}, deleted, files, rewritten)
    _record(actor, "student.erase", tenant_id, outcome)
    return outcome


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record(actor: str, action: str, tenant_id: int, outcome: Outcome) -> None:
    audit.record(
        actor,
        action,
        tenant_id,
        user_id=outcome.user_id,
        pseudonym=outcome.pseudonym,
        rows_changed=outcome.rows_changed,
        rows_deleted=outcome.rows_deleted,
        files_deleted=outcome.files_deleted,
        audit_entries_rewritten=outcome.audit_entries_rewritten,
    )
    db.session.flush()
    log.info(
        "%s: user %s, %d rows changed, %d rows deleted, %d files deleted",
        action,
        outcome.user_id,
        sum(outcome.rows_changed.values()),
        sum(outcome.rows_deleted.values()),
        outcome.files_deleted,
    )
