"""Scores through the outbox: queued in the caller's transaction (one, many, or straight from a
SELECT), coalesced per line item and user, and sent after checking the column is the tool's own.

Scores carry the award's own timestamp (every retry sends the same one, so a platform that
already stored it keeps one result) and Canvas's submission extension with
``new_submission: false`` (so retries add no submission attempts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import (
    JSON,
    Float,
    Integer,
    SelectBase,
    Text,
    cast,
    func,
    literal,
    select,
    type_coerce,
)

from ...errors import ConnectorError
from ...extensions import db
from ...jobs import (
    FAILED,
    RETRY,
    SENT,
    Message,
    NewMessage,
    OutboxMessage,
    Outcome,
)
from ...jobs import coalesce_key as _coalesce_key
from ...jobs import enqueue as _enqueue
from ...jobs import enqueue_from_select as _enqueue_from_select
from ...jobs import enqueue_many as _enqueue_many
from ...models import Registration
from .. import service_hosts, services_client
from .answers import classify
from .line_items import line_item_from_json, owned
from .spec import (
    CANVAS_SUBMISSION,
    KIND_SCORE,
    LINEITEM_MEDIA,
    OWNED_CHECK_TTL_S,
    SCOPE_LINEITEM,
    SCOPE_SCORE,
    SCORE_MEDIA,
)

# One token serves the sender's check of the column and its score.
_SEND_SCOPES = (SCOPE_LINEITEM, SCOPE_SCORE)


def scores_url(lineitem: str) -> str:
    """The scores endpoint of a line item: ``/scores`` goes before any query string."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def iso_timestamp(value: dt.datetime) -> str:
    """ISO 8601 with milliseconds and an offset; naive values are UTC (as the database)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def score_coalesce_key(lineitem: str, user_id: str) -> str:
    """Scores for the same line item and user coalesce."""
    return _coalesce_key(KIND_SCORE, lineitem, user_id)


def enqueue_score(
    *,
    tenant_id: int,
    registration_id: int,
    lineitem: str,
    user_id: str,
    score_given: float | None,
    score_maximum: float,
    timestamp: dt.datetime,
    comment: str | None = None,
    source: str = "",
) -> OutboxMessage:
    """Queue a score for a line item in the caller's transaction (flush only): pending
    scores for the same line item and user coalesce to this one. ``timestamp`` is the award's
    own time from the database; every retry sends it unchanged."""
    payload: dict[str, Any] = {
        "lineitem": lineitem,
        "userId": user_id,
        "scoreGiven": score_given,
        "scoreMaximum": score_maximum,
        "comment": comment,
        "timestamp": iso_timestamp(timestamp),
    }
    return _enqueue(
        tenant_id=tenant_id,
        registration_id=registration_id,
        kind=KIND_SCORE,
        payload=payload,
        source=source,
        coalesce=score_coalesce_key(lineitem, user_id),
    )


@dataclass(frozen=True)
class Score:
    """One score for ``enqueue_scores``."""

    tenant_id: int
    registration_id: int
    lineitem: str
    user_id: str
    score_given: float | None
    score_maximum: float
    timestamp: dt.datetime
    comment: str | None = None
    source: str = ""


def enqueue_scores(scores: Sequence[Score]) -> int:
    """Queue many scores set-based (bulk awards); flush only. Returns how many older pending
    scores were superseded."""
    return _enqueue_many(
        [
            NewMessage(
                tenant_id=s.tenant_id,
                registration_id=s.registration_id,
                kind=KIND_SCORE,
                payload={
                    "lineitem": s.lineitem,
                    "userId": s.user_id,
                    "scoreGiven": s.score_given,
                    "scoreMaximum": s.score_maximum,
                    "comment": s.comment,
                    "timestamp": iso_timestamp(s.timestamp),
                },
                source=s.source,
                coalesce=score_coalesce_key(s.lineitem, s.user_id),
            )
            for s in scores
        ]
    )


def _sqlite_sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _sql_coalesce_key(lineitem: Any, user_id: Any, dialect: str) -> Any:
    """``score_coalesce_key`` computed by the database, for rows that never visit Python."""
    text = literal(f"{KIND_SCORE}\x1f", Text) + lineitem + literal("\x1f", Text) + user_id
    if dialect == "postgresql":
        return func.encode(func.sha256(func.convert_to(text, "UTF8")), "hex")
    if dialect == "sqlite":
        raw = db.session.connection().connection.dbapi_connection
        raw.create_function("cc_sha256", 1, _sqlite_sha256, deterministic=True)  # type: ignore[union-attr]
        return func.cc_sha256(text)
    raise NotImplementedError(f"enqueue_scores_from_select does not support {dialect}")


def _sql_iso_timestamp(value: Any, dialect: str) -> Any:
    """``iso_timestamp`` in SQL for a naive UTC column: milliseconds truncated, ``+00:00``."""
    if dialect == "postgresql":
        return func.to_char(value, 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')
    # SQLite keeps datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text; strftime's %f rounds.
    text = cast(value, Text) + literal(".000000", Text)
    return (
        func.substr(text, 1, 10)
        + literal("T", Text)
        + func.substr(text, 12, 12)
        + literal("+00:00", Text)
    )


def enqueue_scores_from_select(rows: SelectBase) -> int:
    """Queue one score per row of ``rows`` with a single INSERT ... SELECT (bulk awards: no
    row visits Python); flush only. ``rows`` has the labelled columns of ``Score``:
    ``tenant_id``, ``registration_id``, ``lineitem``, ``user_id``, ``score_given``,
    ``score_maximum``, ``timestamp`` (naive UTC), ``comment`` and ``source``. Payloads and
    coalesce keys equal ``enqueue_score``'s; older pending scores for the same line item and
    user are superseded. Returns how many scores were queued."""
    dialect = db.session.get_bind().dialect.name
    c = rows.subquery().c
    lineitem, user_id = cast(c.lineitem, Text), cast(c.user_id, Text)
    fields: list[Any] = [
        "lineitem",
        lineitem,
        "userId",
        user_id,
        "scoreGiven",
        cast(c.score_given, Float),
        "scoreMaximum",
        cast(c.score_maximum, Float),
        "comment",
        cast(c.comment, Text),
        "timestamp",
        _sql_iso_timestamp(c.timestamp, dialect),
    ]
    build = func.json_build_object if dialect == "postgresql" else func.json_object
    payload = build(*(literal(f, Text) if isinstance(f, str) else f for f in fields))
    return _enqueue_from_select(
        select(
            cast(c.tenant_id, Integer).label("tenant_id"),
            cast(c.registration_id, Integer).label("registration_id"),
            type_coerce(payload, JSON).label("payload"),
            func.coalesce(cast(c.source, Text), literal("", Text)).label("source"),
            _sql_coalesce_key(lineitem, user_id, dialect).label("coalesce_key"),
        ),
        KIND_SCORE,
    )


def score_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The AGS score JSON for a stored payload."""
    body: dict[str, Any] = {
        "userId": payload["userId"],
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": payload["timestamp"],
        CANVAS_SUBMISSION: {"new_submission": False},
    }
    if payload.get("scoreGiven") is not None:
        body["scoreGiven"] = payload["scoreGiven"]
        body["scoreMaximum"] = payload["scoreMaximum"]
    if payload.get("comment"):
        body["comment"] = payload["comment"]
    return body


_owned_lock = threading.Lock()
_owned_until: dict[tuple[int, str], float] = {}


def forget_owned_columns() -> None:
    """Drop what the senders remember of columns they checked (tests, key changes)."""
    with _owned_lock:
        _owned_until.clear()


def _forget_column(reg: Registration, lineitem: str) -> None:
    with _owned_lock:
        _owned_until.pop((reg.id, lineitem), None)


def _column_refusal(reg: Registration, lineitem: str) -> Outcome | None:
    """None when the line item is the tool's own column (read from the platform, then
    remembered a few minutes); else the outcome that refuses the score."""
    key = (reg.id, lineitem)
    with _owned_lock:
        if _owned_until.get(key, 0.0) > time.monotonic():
            return None
    resp = services_client.request(reg, "GET", lineitem, _SEND_SCOPES, LINEITEM_MEDIA)
    if resp.status_code in (404, 410):
        return Outcome(
            FAILED,
            resp.status_code,
            "The gradebook column no longer exists in the LMS (deleted). Nothing was posted; "
            "'Retry' sends the grade to the course's current credit column.",
        )
    if resp.status_code != 200:
        outcome = classify(resp.status_code, resp.headers, resp.text)
        return outcome if outcome.result != SENT else Outcome(RETRY, resp.status_code)
    try:
        item = line_item_from_json(resp.json())
    except (ValueError, ConnectorError):
        return Outcome(RETRY, resp.status_code, "The LMS sent a line item that is not JSON.")
    if not owned(item):
        return Outcome(
            FAILED,
            resp.status_code,
            f"Refused: the gradebook column '{item.label[:120]}' is not Career Credit's "
            "(another assignment's column). Nothing was posted to it.",
        )
    with _owned_lock:
        _owned_until[key] = time.monotonic() + OWNED_CHECK_TTL_S
    return None


def send_score(msg: Message, reg: Registration | None) -> Outcome:
    """POST a stored score to its line item (the outbox's sender for ``ags.score``), after
    checking that the line item is the tool's own column."""
    if reg is None:
        return Outcome(FAILED, message="The platform registration was removed.")
    payload = msg.payload
    try:
        refusal = _column_refusal(reg, payload["lineitem"])
    except service_hosts.UnknownServiceHostError as exc:  # permanent: never retried
        return Outcome(FAILED, message=exc.message)
    if refusal is not None:
        return refusal
    resp = services_client.request(
        reg,
        "POST",
        scores_url(payload["lineitem"]),
        _SEND_SCOPES,
        "application/json",
        json=score_body(payload),
        headers={"Content-Type": SCORE_MEDIA},
    )
    if resp.status_code in (404, 410):  # deleted since it was checked
        _forget_column(reg, payload["lineitem"])
    return classify(resp.status_code, resp.headers, resp.text)
