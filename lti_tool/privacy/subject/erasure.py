"""Pseudonymising a person (their rows kept for the aggregates, without free text, files or
sessions) and erasing them (their rows deleted too); the audit trail names the pseudonym."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Column, String, Table, delete, update

from ...actor import Actor
from ...crypto import EncryptedText
from ...errors import PolicyViolationError
from ...extensions import db
from ...models import LtiState, User
from ...services import audit
from ..hooks import run_erasure_hooks
from ..schema import load_all_models
from .holdings import (
    FREE_TEXT_MIN_LENGTH,
    MIN_SUBSTRING,
    PSEUDONYM_PREFIX,
    SESSION_TABLES,
    Holdings,
    Outcome,
    collect,
    identifiers_of,
    log,
    primary_key,
    upload_path,
)


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
    identifiers = identifiers_of(user)
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


def _rewrite_owned_rows(
    held: Holdings,
    pseudonym: str,
    tables: Any,
    changed: dict[str, int],
    deleted: dict[str, int],
) -> None:
    """The person's own rows: sessions deleted; free text cleared, file names emptied and
    their identifiers replaced by the pseudonym elsewhere."""
    identifiers = identifiers_of(held.user)
    for name, rows in held.owned.items():
        table = tables[name]
        pk = primary_key(table)
        if name in SESSION_TABLES:
            if rows:
                db.session.execute(delete(table).where(pk.in_(list(rows))))
                deleted[name] = len(rows)
            continue
        for key, row in rows.items():
            values = _rewritten(table, key, row, identifiers, pseudonym)
            if values:
                db.session.execute(update(table).where(pk == key).values(values))
                changed[name] = changed.get(name, 0) + 1


def _rewritten(table: Any, key: Any, row: Any, identifiers: Any, pseudonym: str) -> dict[str, Any]:
    """The new values of one owned row: file names emptied, free text cleared, identifiers in
    other text replaced by the pseudonym (foreign keys kept)."""
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
    return values


def _delete_messages(held: Holdings, tables: Any, deleted: dict[str, int]) -> None:
    """Emails to the person, their open logins, and what the domains' erasure hooks remove."""
    user = held.user
    email_table = tables.get("email_message")
    if email_table is not None and held.emails:
        ids = [row["id"] for row in held.emails]
        for chunk in _chunks(ids, 500):
            db.session.execute(delete(email_table).where(email_table.c.id.in_(chunk)))
        deleted["email_message"] = len(ids)
    if held.login_states:
        for chunk in _chunks(held.login_states, 500):
            db.session.execute(delete(LtiState).where(LtiState.key.in_(chunk)))
        deleted["lti_state"] = len(held.login_states)
    for name, count in run_erasure_hooks(user.tenant_id, user.id).items():
        deleted[name] = deleted.get(name, 0) + count


def _rewrite_outbox(held: Holdings, pseudonym: str, tables: Any, changed: dict[str, int]) -> None:
    """Messages to the LMS already delivered (or abandoned) name the pseudonym; those still to
    be delivered keep the LMS user id, or the grade would never arrive."""
    user = held.user
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


def _pseudonymise(
    held: Holdings, pseudonym: str
) -> tuple[dict[str, int], dict[str, int], int, int]:
    user = held.user
    tables = load_all_models().tables
    changed: dict[str, int] = {}
    deleted: dict[str, int] = {}
    files = _delete_files(held)
    _rewrite_owned_rows(held, pseudonym, tables, changed, deleted)
    _delete_messages(held, tables, deleted)
    _rewrite_outbox(held, pseudonym, tables, changed)
    for name, count in _rewrite_actor_columns(user, pseudonym, tables).items():
        changed[name] = changed.get(name, 0) + count
    rewritten = _rewrite_audit(held, pseudonym)
    user.name = f"Pseudonymized person {pseudonym.removeprefix(PSEUDONYM_PREFIX)[:6]}"
    user.email = ""
    user.sub = pseudonym
    changed["lti_user"] = 1
    return changed, deleted, files, rewritten


def pseudonymise(actor: Actor, user: User) -> Outcome:
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


def erase(actor: Actor, user: User) -> Outcome:
    """Delete the person, every row they own and their files; the audit trail is kept and
    names their pseudonym. Refused when others' records must name them. Audited; flushes."""
    held = collect(user)
    blockers = erasure_blockers(held)
    if blockers:
        raise PolicyViolationError(
            "This person is named in other people's records that need them "
            f"({', '.join(blockers)}), so they cannot be erased. Pseudonymize them instead.",
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
                db.session.execute(delete(table).where(primary_key(table).in_(chunk)))
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


def _record(actor: Actor, action: str, tenant_id: int, outcome: Outcome) -> None:
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
