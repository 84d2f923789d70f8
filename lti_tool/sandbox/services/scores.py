"""AGS scores: accepted as strictly as Canvas does, faults injected first (the results and
the attempts report are read in ``results``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from ...extensions import db
from ...models import utcnow
from ..errors import ApiError
from ..models import SandboxFaults
from ..seed import SandboxInfo
from ..tokens import SCOPE_SCORE, authenticate, bearer_hash, check_token
from .common import (
    ACTIVITY_PROGRESS,
    CANVAS_SUBMISSION,
    GRADING_PROGRESS,
    TIMESTAMP_TOO_OLD,
)
from .score_sql import (
    ARMED_FAULTS,
    SCORE_TARGET,
    STUDENT_RESULT,
    TOKEN_TARGET_AND_STUDENT,
    UPDATE_RESULT,
    insert_result_statement,
)


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ApiError(400, "timestamp is required (ISO 8601 with a time zone).")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, f"timestamp {value!r} is not an ISO 8601 date-time.") from exc
    if parsed.tzinfo is None:
        raise ApiError(400, f"timestamp {value!r} must carry a time zone.")
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def _score_value(body: dict[str, Any], key: str, *, positive: bool) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{key} must be a number.")
    if value < 0 or (positive and value == 0):
        raise ApiError(400, f"{key} must be {'greater than 0' if positive else 'at least 0'}.")
    return float(value)


@dataclass(frozen=True)
class ScoreOutcome:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class ScoreTarget:
    """The line item a score is posted to, with what the answer needs of its course."""

    line_item_id: int
    course_id: int
    course_key: str
    course_label: str
    # The faults armed when the post arrived (score_500, score_429, Retry-After, fail_rate),
    # read in the same query; None when none was ever set.
    armed_faults: tuple[int, int, int, float] | None = None
    # (userId, the STUDENT_RESULT row for it or None) as read with the target, when it was
    student: tuple[str, Any] | None = None


def score_target(course_key: str, item_id: int) -> ScoreTarget:
    """The course's line item and the armed faults in one query, or a 404 ``ApiError`` (as
    ``find_course`` and ``find_line_item`` answer)."""
    row = db.session.execute(SCORE_TARGET, {"course_key": course_key, "item_id": item_id}).first()
    return _target(course_key, item_id, row)


@dataclass(frozen=True)
class ScoreLookup:
    """What a score post's first statement read: its target's row (None: no such course)
    and the student's for the userId its body names."""

    course_key: str
    item_id: int
    row: Any
    user_id: str = ""

    def target(self) -> ScoreTarget:
        """The line item and the armed faults, or a 404 ``ApiError`` (as ``score_target``)."""
        target = _target(self.course_key, self.item_id, self.row and self.row[:7])
        student = None if self.row[7] is None else tuple(self.row[7:12])
        return dataclasses.replace(target, student=(self.user_id, student))


def look_up_score(
    authorization: str | None, course_key: str, item_id: int, body: Any
) -> ScoreLookup:
    """The bearer token checked for the score scope (a 401 ``ApiError`` as ``authenticate``
    raises it), the score's target and the student's result for the body's userId read in
    one statement; its 404s wait for ``ScoreLookup.target`` (the endpoint answers a wrong
    media type before them), the body's checks for ``post_score``."""
    token_hash = bearer_hash(authorization)
    user_id = body.get("userId") if isinstance(body, dict) else None
    user_id = user_id if isinstance(user_id, str) else ""
    params = {"course_key": course_key, "item_id": item_id, "token_hash": token_hash}
    row = db.session.execute(TOKEN_TARGET_AND_STUDENT, {**params, "user_id": user_id}).first()
    if row is None:  # no such course, so no token read: the token is checked on its own first
        authenticate(authorization, (SCOPE_SCORE,))
        return ScoreLookup(course_key, item_id, None)
    check_token(row[0], row[1], (SCOPE_SCORE,))
    return ScoreLookup(course_key, item_id, row[2:], user_id)


def _target(course_key: str, item_id: int, row: Any) -> ScoreTarget:
    if row is None:
        raise ApiError(404, f"There is no sandbox course {course_key!r}.")
    course_id, label, line_item_id, *armed = row
    if line_item_id is None:
        raise ApiError(404, f"There is no line item {item_id} in {label}.")
    faults = None if armed[0] is None else (armed[0], armed[1], armed[2], armed[3])
    return ScoreTarget(line_item_id, course_id, course_key, label, faults)


def _injected(status: int) -> Any:
    return SandboxFaults.injected_500 if status == 500 else SandboxFaults.injected_429


def take_score_fault(
    rng: random.Random | None = None, armed: tuple[int, int, int, float] | None = None
) -> tuple[int, int | None] | None:
    """Consume one injected score fault, if any: (status, Retry-After seconds). Armed counts
    ("the next N posts") come first, then the random ``fail_rate`` (500 or 429, half each).
    Commits the counters at once because the refused request stores nothing else. ``armed``:
    the faults row as already read (``ScoreTarget.armed_faults``); read here when not given."""
    if armed is None:
        row = db.session.execute(ARMED_FAULTS).first()
        armed = None if row is None else (row[0], row[1], row[2], row[3])
    if armed is None:
        return None
    score_500, score_429, retry_after, fail_rate = armed
    for status, column, count in (
        (500, SandboxFaults.score_500, score_500),
        (429, SandboxFaults.score_429, score_429),
    ):
        if count <= 0:
            continue
        counter = _injected(status)
        result = db.session.execute(  # atomic: two processes never take the same fault
            update(SandboxFaults)
            .where(SandboxFaults.id == 1, column > 0)
            .values({column: column - 1, counter: counter + 1})
        )
        if getattr(result, "rowcount", 0):
            db.session.commit()
            return status, (retry_after if status == 429 else None)
    rng = rng or random.SystemRandom()
    if fail_rate > 0 and rng.random() < fail_rate:
        status = rng.choice((500, 429))
        counter = _injected(status)
        db.session.execute(
            update(SandboxFaults).where(SandboxFaults.id == 1).values({counter: counter + 1})
        )
        db.session.commit()
        return status, (retry_after if status == 429 else None)
    return None


def _valid_score(body: Any) -> tuple[str, dt.datetime, float | None, float | None, str | None]:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON score object.")
    user_id = body.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise ApiError(400, "userId is required.")
    if body.get("activityProgress") not in ACTIVITY_PROGRESS:
        raise ApiError(400, f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}.")
    if body.get("gradingProgress") not in GRADING_PROGRESS:
        raise ApiError(400, f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}.")
    stamp = _timestamp(body.get("timestamp"))
    given = _score_value(body, "scoreGiven", positive=False)
    maximum = _score_value(body, "scoreMaximum", positive=True)
    if given is not None and maximum is None:
        raise ApiError(400, "scoreMaximum is required when scoreGiven is present.")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(400, "comment must be a string.")
    return user_id, stamp, given, maximum, comment


def _refuse_if_faulted(target: ScoreTarget) -> None:
    """An armed fault (a 500 or a 429 with Retry-After) answers instead of the score."""
    if target.armed_faults is None:
        return  # read with the target: no faults row, so none was ever armed
    fault = take_score_fault(armed=target.armed_faults)
    if fault is not None:
        status, retry_after = fault
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        raise ApiError(
            status,
            "Injected fault: the sandbox is pretending to be "
            + ("down." if status == 500 else "rate-limiting."),
            headers=headers,
        )


def _store_score(
    target: ScoreTarget,
    user_id: str,
    stamp: dt.datetime,
    fields: dict[str, Any],
    new_attempts: int,
    result_url: str,
) -> ScoreOutcome:
    """Insert or update the student's result, decided by the database: timestamps never go
    back, the same one is idempotent; a post that lost a race looks again (five times). The
    first look is the one read with the target, when it read this userId."""
    read = target.student if target.student and target.student[0] == user_id else None
    for attempt in range(5):  # another post for the same result may win a race: look again
        if attempt == 0 and read is not None:
            row = read[1]
        else:
            row = db.session.execute(
                STUDENT_RESULT,
                {
                    "user_id": user_id,
                    "course_id": target.course_id,
                    "line_item_id": target.line_item_id,
                },
            ).first()
        if row is None or row[1] != "learner" or row[2] != "Active":
            raise ApiError(
                422,
                f"User {user_id} is not an active student of {target.course_label}; "
                "scores can only be posted for students.",
            )
        person_id, result_id, stored = row[0], row[3], row[4]
        if result_id is None:
            inserted = db.session.execute(
                insert_result_statement(),
                {
                    **{name[4:]: value for name, value in fields.items()},
                    "line_item_id": target.line_item_id,
                    "person_id": person_id,
                    "attempts": new_attempts,
                    "score_posts": 1,
                },
                execution_options={"preserve_rowcount": True},  # -1 for an INSERT otherwise
            )
            if getattr(inserted, "rowcount", 0) == 1:
                return ScoreOutcome(200, {"resultUrl": result_url})
            continue
        if stamp < stored:
            raise ApiError(400, TIMESTAMP_TOO_OLD)
        if stamp == stored:
            return ScoreOutcome(200, {"resultUrl": result_url, "idempotent": True})
        updated = db.session.execute(
            UPDATE_RESULT,
            {**fields, "result_id": result_id, "stamp": stamp, "new_attempts": new_attempts},
        )
        if getattr(updated, "rowcount", 0):
            return ScoreOutcome(200, {"resultUrl": result_url})
    raise ApiError(409, "Too many concurrent score posts for this result; try again.")


def post_score(info: SandboxInfo, target: ScoreTarget, body: Any) -> ScoreOutcome:
    """Accept a score as Canvas does: strict validation, students only, timestamps that never
    go back, same timestamp is idempotent, each new score one submission attempt unless the
    Canvas extension says ``new_submission: false``. Concurrent posts for the same result are
    decided by the database (a conditional write), so the newest timestamp always wins."""
    _refuse_if_faulted(target)
    user_id, stamp, given, maximum, comment = _valid_score(body)
    extension = body.get(CANVAS_SUBMISSION)
    new_submission = not (isinstance(extension, dict) and extension.get("new_submission") is False)
    fields = {
        "new_score_given": given,
        "new_score_maximum": maximum,
        "new_activity_progress": body["activityProgress"],
        "new_grading_progress": body["gradingProgress"],
        "new_comment": comment,
        "new_timestamp": body["timestamp"],
        "new_timestamp_utc": stamp,
        "new_updated_at": utcnow(),
    }
    result_url = (
        info.api_url(target.course_key, "line_items", str(target.line_item_id), "results")
        + f"?user_id={user_id}"
    )
    new_attempts = 1 if new_submission else 0
    return _store_score(target, user_id, stamp, fields, new_attempts, result_url)
