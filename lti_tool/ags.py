"""Assignment and Grade Services client: scores through the outbox, line items found or
created by ``resourceId``/``tag``, and the classification of a platform's answer.

Scores carry the award's own timestamp (every retry sends the same one, so a platform that
already stored it keeps one result) and Canvas's submission extension with
``new_submission: false`` (so retries add no submission attempts).

Career Credit posts scores only into gradebook columns it owns: the ones it created or placed
by Deep Linking, which carry its ``resourceId`` or ``tag``. Before the first score to a column
the sender reads the column and refuses any other (a quiz's column, say), whatever the queued
row names.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
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

from .errors import ConnectorError
from .extensions import db
from .jobs import (
    FAILED,
    RETRY,
    SENT,
    SUPERSEDED,
    Message,
    NewMessage,
    OutboxMessage,
    Outcome,
)
from .jobs import coalesce_key as _coalesce_key
from .jobs import enqueue as _enqueue
from .jobs import enqueue_from_select as _enqueue_from_select
from .jobs import enqueue_many as _enqueue_many
from .lti import service_hosts, services_client
from .models import Registration

KIND_SCORE = "ags.score"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"

# The marks of the columns Career Credit owns: set on every column it creates through AGS or
# places through Deep Linking, checked before every score it posts.
OWN_RESOURCE_ID = "career-credit"
OWN_TAG = "micro-internship-credit"
# How long a column read as the tool's own is trusted before it is read again.
OWNED_CHECK_TTL_S = 300.0
# One token serves the sender's check of the column and its score.
_SEND_SCOPES = (SCOPE_LINEITEM, SCOPE_SCORE)

# A 400 because the platform holds a newer result: Canvas says the timestamp must be after the
# last one; Moodle and others word it differently but name the timestamp and its order.
_OLDER_TIMESTAMP = re.compile(
    r"timestamp.*\b(after|before|older|newer|earlier|later|last|previous|stale)\b"
    r"|\b(after|before|older|newer|earlier|later|last|previous|stale)\b.*timestamp",
    re.IGNORECASE | re.DOTALL,
)
_RATE_LIMITED = re.compile(r"rate limit exceeded", re.IGNORECASE)


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


_NOT_GRADABLE = re.compile(
    r"not (?:a |an )?(?:active |gradable )?(?:student|learner)|not gradable|not enrolled"
    r"|user not found|no such user|unknown user",
    re.IGNORECASE,
)


def explain(status: int, text: str) -> str:
    """What a platform's refusal means, in Career Credit's own words: a person never sees the
    platform's response body (it is only matched against what refusals are known to say)."""
    if status in (400, 403, 404, 422) and _NOT_GRADABLE.search(text):
        return (
            f"The LMS says this person is not a gradable student of the course (HTTP {status}): "
            "check their enrolment in the LMS, then retry."
        )
    if status == 429 or (status == 403 and _RATE_LIMITED.search(text)):
        return f"The LMS is limiting how fast Career Credit may call it (HTTP {status})."
    if status == 400 and _OLDER_TIMESTAMP.search(text):
        return "The LMS already holds a newer grade for this student (HTTP 400)."
    if status == 401:
        return "The LMS refused Career Credit's access token (HTTP 401)."
    if status == 403:
        return (
            "The LMS refused the request (HTTP 403): check that Assignment and Grade Services "
            "are enabled for Career Credit in the LMS."
        )
    if status in (404, 410):
        return (
            f"The LMS no longer has what Career Credit wrote to (HTTP {status}): the gradebook "
            "column, rubric or student may have been removed."
        )
    if status >= 500:
        return f"The LMS had an internal error (HTTP {status})."
    if status in (408, 409, 425):
        return f"The LMS could not take the request just now (HTTP {status})."
    return f"The LMS refused the request (HTTP {status})."


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def classify(status: int, headers: Mapping[str, str], text: str) -> Outcome:
    """Sent, superseded, permanent failure or transient, from a platform's answer."""
    if 200 <= status < 300:
        return Outcome(SENT, status)
    message = explain(status, text)
    transient = (
        status in (401, 408, 409, 425, 429)
        or status >= 500
        or (status == 403 and bool(_RATE_LIMITED.search(text)))
    )
    if transient:
        return Outcome(RETRY, status, message, retry_after_seconds(headers.get("Retry-After")))
    if status == 400 and _OLDER_TIMESTAMP.search(text):
        return Outcome(SUPERSEDED, status, message)
    return Outcome(FAILED, status, message)


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
        item = _line_item(resp.json())
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


# --- line items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    """A gradebook column as the platform describes it (``id`` is its URL)."""

    id: str
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None


def _line_item(data: Any) -> LineItem:
    if not isinstance(data, dict) or not data.get("id"):
        raise ConnectorError("The LMS answered with something that is not a line item.")
    return LineItem(
        id=str(data["id"]),
        label=str(data.get("label") or ""),
        score_maximum=float(data.get("scoreMaximum") or 0),
        resource_id=data.get("resourceId"),
        tag=data.get("tag"),
        resource_link_id=data.get("resourceLinkId"),
    )


def owned(item: LineItem) -> bool:
    """Whether a column is one Career Credit created or placed (its resourceId or tag)."""
    return item.resource_id == OWN_RESOURCE_ID or item.tag == OWN_TAG


class LineItemGoneError(ConnectorError):
    """The line item no longer exists in the LMS (deleted from the gradebook)."""


def get_line_item(registration_id: int, lineitem_url: str) -> LineItem:
    """One line item as the platform describes it; ``LineItemGoneError`` when deleted."""
    resp = services_client.request(
        _registration(registration_id), "GET", lineitem_url, (SCOPE_LINEITEM,), LINEITEM_MEDIA
    )
    if resp.status_code in (404, 410):
        raise LineItemGoneError("The gradebook column no longer exists in the LMS.")
    if resp.status_code != 200:
        raise ConnectorError(
            f"Career Credit could not read a gradebook column: "
            f"{explain(resp.status_code, resp.text)}"
        )
    try:
        return _line_item(resp.json())
    except ValueError as exc:
        raise ConnectorError("The LMS sent a line item that is not JSON.") from exc


def _registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise ConnectorError("The registration of this course no longer exists.")
    return reg


def find_line_items(
    registration_id: int,
    lineitems_url: str,
    *,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[LineItem]:
    """The course's line items with this resourceId and/or tag (first page)."""
    reg = _registration(registration_id)
    params = {k: v for k, v in (("resource_id", resource_id), ("tag", tag)) if v}
    resp = services_client.request(
        reg, "GET", lineitems_url, (SCOPE_LINEITEM,), LINEITEMS_MEDIA, params=params
    )
    if resp.status_code != 200:
        raise ConnectorError(
            f"Career Credit could not read the course's grade columns: "
            f"{explain(resp.status_code, resp.text)}"
        )
    try:
        data = resp.json()
    except ValueError as exc:
        raise ConnectorError("The LMS sent a line item list that is not JSON.") from exc
    if not isinstance(data, list):
        raise ConnectorError("The LMS sent a line item list that is not a list.")
    items = [_line_item(d) for d in data]
    # Some platforms ignore the filters: apply them again.
    return [
        i
        for i in items
        if (resource_id is None or i.resource_id == resource_id) and (tag is None or i.tag == tag)
    ]


def find_or_create_line_item(
    registration_id: int,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    tag: str | None = None,
    resource_link_id: str | None = None,
) -> LineItem:
    """The line item with this resourceId/tag in the course's container, created when none
    exists (used when no line item was placed by deep linking). Call it outside a write
    transaction: it waits on the network (and, on SQLite, the sandbox shares the database)."""
    if not resource_id and not tag:
        raise ValueError("find_or_create_line_item needs a resource_id or a tag")
    found = find_line_items(registration_id, lineitems_url, resource_id=resource_id, tag=tag)
    if found:
        return found[0]
    body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
    for key, value in (
        ("resourceId", resource_id),
        ("tag", tag),
        ("resourceLinkId", resource_link_id),
    ):
        if value:
            body[key] = value
    resp = services_client.request(
        _registration(registration_id),
        "POST",
        lineitems_url,
        (SCOPE_LINEITEM,),
        LINEITEM_MEDIA,
        json=body,
        headers={"Content-Type": LINEITEM_MEDIA},
    )
    if resp.status_code not in (200, 201):
        raise ConnectorError(
            f"Career Credit could not create the grade column: "
            f"{explain(resp.status_code, resp.text)}"
        )
    try:
        return _line_item(resp.json())
    except ValueError as exc:
        raise ConnectorError("The LMS sent a line item that is not JSON.") from exc
