"""A platform's answer to an AGS request, classified for the outbox (sent, retry, failed,
superseded) and explained in words a person can act on, never echoing the platform's text."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Mapping

from ...jobs import (
    FAILED,
    RETRY,
    SENT,
    SUPERSEDED,
    Outcome,
)

# A 400 because the platform holds a newer result: Canvas says the timestamp must be after the
# last one; Moodle and others word it differently but name the timestamp and its order.
_OLDER_TIMESTAMP = re.compile(
    r"timestamp.*\b(after|before|older|newer|earlier|later|last|previous|stale)\b"
    r"|\b(after|before|older|newer|earlier|later|last|previous|stale)\b.*timestamp",
    re.IGNORECASE | re.DOTALL,
)
_RATE_LIMITED = re.compile(r"rate limit exceeded", re.IGNORECASE)


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
            "check their enrollment in the LMS, then retry."
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
