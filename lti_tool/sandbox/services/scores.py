"""AGS scores: accepted as strictly as Canvas does, faults injected first (the results and
the attempts report are read in ``results``)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, bindparam, select, update

from ...db_helpers import insert_ignoring_conflicts
from ...extensions import db
from ...models import utcnow
from ..errors import ApiError
from ..models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxFaults,
    SandboxLineItem,
    SandboxPerson,
    SandboxResult,
)
from ..seed import SandboxInfo
from .common import (
    ACTIVITY_PROGRESS,
    CANVAS_SUBMISSION,
    GRADING_PROGRESS,
    TIMESTAMP_TOO_OLD,
    is_gradebook_item,
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


# The score path runs these on every post: built once, so SQLAlchemy neither rebuilds nor
# re-keys them per request (plain table statements also skip the ORM's compile step).
_course, _item = SandboxCourse.__table__, SandboxLineItem.__table__
_person, _enrolment, _result = (
    SandboxPerson.__table__,
    SandboxEnrolment.__table__,
    SandboxResult.__table__,
)
_faults_table = SandboxFaults.__table__
_FAULT_COLUMNS = (
    _faults_table.c.score_500,
    _faults_table.c.score_429,
    _faults_table.c.score_429_retry_after,
    _faults_table.c.fail_rate,
)
_ARMED_FAULTS = select(*_FAULT_COLUMNS).where(_faults_table.c.id == 1)
_SCORE_TARGET = (
    select(_course.c.id, _course.c.label, _item.c.id, *_FAULT_COLUMNS)
    .select_from(
        _course.outerjoin(
            _item,
            and_(
                _item.c.id == bindparam("item_id"),
                _item.c.course_id == _course.c.id,
                is_gradebook_item(_item.c),
            ),
        ).outerjoin(_faults_table, _faults_table.c.id == 1)
    )
    .where(_course.c.key == bindparam("course_key"))
)
_STUDENT_RESULT = (
    select(
        _person.c.id,
        _enrolment.c.role,
        _enrolment.c.status,
        _result.c.id,
        _result.c.timestamp_utc,
    )
    .select_from(
        _person.outerjoin(
            _enrolment,
            and_(
                _enrolment.c.person_id == _person.c.id,
                _enrolment.c.course_id == bindparam("course_id"),
            ),
        ).outerjoin(
            _result,
            and_(
                _result.c.person_id == _person.c.id,
                _result.c.line_item_id == bindparam("line_item_id"),
            ),
        )
    )
    .where(_person.c.user_id == bindparam("user_id"))
)
_RESULT_FIELDS = (
    "score_given",
    "score_maximum",
    "activity_progress",
    "grading_progress",
    "comment",
    "timestamp",
    "timestamp_utc",
    "updated_at",
)
# Timestamps never go back, decided by the database: of two concurrent posts the newer wins.
_UPDATE_RESULT = (
    update(_result)
    .where(_result.c.id == bindparam("result_id"), _result.c.timestamp_utc < bindparam("stamp"))
    .values(
        {
            **{
                name: bindparam(f"new_{name}", type_=_result.c[name].type)
                for name in _RESULT_FIELDS
            },
            "attempts": _result.c.attempts + bindparam("new_attempts", type_=Integer),
            "score_posts": _result.c.score_posts + 1,
        }
    )
)


def _insert_result_statement() -> Any:
    """INSERT a result unless one exists for the line item and person (a concurrent post)."""
    return insert_ignoring_conflicts(_result, ["line_item_id", "person_id"])


def score_target(course_key: str, item_id: int) -> ScoreTarget:
    """The course's line item and the armed faults in one query, or a 404 ``ApiError`` (as
    ``find_course`` and ``find_line_item`` answer)."""
    row = db.session.execute(_SCORE_TARGET, {"course_key": course_key, "item_id": item_id}).first()
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
        row = db.session.execute(_ARMED_FAULTS).first()
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
    back, the same one is idempotent; a post that lost a race looks again (five times)."""
    for _ in range(5):  # another post for the same result may win a race: look again
        row = db.session.execute(
            _STUDENT_RESULT,
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
                _insert_result_statement(),
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
            _UPDATE_RESULT,
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
