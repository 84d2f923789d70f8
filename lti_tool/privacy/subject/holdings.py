"""Whose rows are whose: a person found by name or LMS id, and everything held about them
(owned rows, rows that mention them, files, audit entries, emails, messages to the LMS)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Column, Table, Text, func, or_, select
from sqlalchemy import cast as sql_cast

from ...errors import NotFoundError, PolicyViolationError
from ...extensions import db
from ...models import AuditEntry, LtiState, Tenant, User
from ..schema import load_all_models, user_references

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
            "LMS (flask --app lti_tool privacy export|pseudonymise|erase), or link the "
            "identities first under Identities.",
            reason="ambiguous_person",
        )
    return users[0]


def get_person(tenant_id: int, user_id: int) -> User:
    user = db.session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFoundError("That person is not known at your institution.")
    return user


def primary_key(table: Table) -> Column:
    return next(iter(table.primary_key.columns))


def _tenant_filter(table: Table, tenant_id: int) -> list[Any]:
    return [table.c.tenant_id == tenant_id] if "tenant_id" in table.c else []


def _rows(table: Table, *where: Any) -> dict[Any, dict[str, Any]]:
    pk = primary_key(table)
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
    _collect_rows(held, metadata)
    held.files = _files_named(held)
    held.audit_entries = _audit_entries(user)
    held.emails = _emails(user, metadata)
    held.login_states = _login_states(user)
    held.platform_messages = _platform_messages(user, metadata)
    return held


def _collect_rows(held: Holdings, metadata: Any) -> None:
    """The rows naming the person (owned, or mentioning them) and the rows under owned ones."""
    user, tenant_id = held.user, held.user.tenant_id
    for ref in user_references(metadata):
        table = ref.table
        if table.name in SPECIAL_TABLES:
            continue  # collected by the steps after, with what else names the person
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


def _files_named(held: Holdings) -> list[Any]:
    """The stored files the owned rows point to (columns ending in ``_path``)."""
    return [
        (name, key, column, value)
        for name, rows in held.owned.items()
        for key, row in rows.items()
        for column, value in row.items()
        if column.endswith("_path") and isinstance(value, str) and value
    ]


def _emails(user: User, metadata: Any) -> list[Any]:
    """Mail to them, and mail about them to others (a supervisor's link to evaluate them)."""
    email_table = metadata.tables.get("email_message")
    if email_table is None:
        return []
    about = [email_table.c.subject_user_id == user.id] if "subject_user_id" in email_table.c else []
    to = [email_table.c.to_address == user.email] if user.email else []
    if not (about or to):
        return []
    return list(
        _rows(email_table, or_(*about, *to), *_tenant_filter(email_table, user.tenant_id)).values()
    )


def _platform_messages(user: User, metadata: Any) -> list[Any]:
    """Messages to the LMS that carry the person's LMS user id."""
    outbox = metadata.tables.get("outbox_message")
    if outbox is None:
        return []
    return list(
        _rows(
            outbox,
            outbox.c.tenant_id == user.tenant_id,
            sql_cast(outbox.c.payload, Text).like(f'%"{user.sub}"%'),
        ).values()
    )


def _login_states(user: User) -> list[Any]:
    """OIDC login records (``lti_state``) naming the person: the login hint and the other
    values a login keeps for a restart are the LMS's identifiers of them. The records expire
    within minutes (LTI_STATE_LIFETIME_S); Redis-held ones expire on their own."""

    quoted = [f'%"{value}"%' for value in identifiers_of(user) if '"' not in value]
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


def identifiers_of(user: User) -> list[str]:
    """The strings that identify the person: email, LMS user id, name (longest first)."""
    values = {user.email, user.sub, user.name}
    return sorted((v for v in values if v), key=len, reverse=True)


def _audit_entries(user: User) -> list[AuditEntry]:
    detail_text = sql_cast(AuditEntry.detail, Text)
    patterns = [
        f"%{value}%" if len(value) >= MIN_SUBSTRING else f'%"{value}"%'
        for value in identifiers_of(user)
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
