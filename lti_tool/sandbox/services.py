"""What the sandbox LMS does behind its service endpoints: Assignment and Grade Services (line
items, scores, results, as strict as Canvas), Names and Role Provisioning (paged, with
case-sensitive page URLs), fault injection, and the gradebook."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import utcnow
from .errors import ApiError
from .models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxFaults,
    SandboxLineItem,
    SandboxPerson,
    SandboxResourceLink,
    SandboxResult,
)
from .platform import membership_roles
from .seed import SandboxInfo
from .tokens import expire_all_tokens

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
TIMESTAMP_TOO_OLD = "Score timestamp not valid: it must be after the last submitted timestamp."
DEFAULT_PAGE_SIZE = 3
PAGE_TOKEN_PREFIX = "Pg"  # noqa: S105 - mixed case on purpose: a lower-cased next-page URL must fail


def find_course(course_key: str) -> SandboxCourse:
    """The course with this key, or a 404 ``ApiError``."""
    course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == course_key))
    if course is None:
        raise ApiError(404, f"There is no sandbox course {course_key!r}.")
    return course


# --- line items ------------------------------------------------------------------------------


def line_item_json(info: SandboxInfo, item: SandboxLineItem) -> dict[str, Any]:
    """A line item as AGS represents it (``id`` is its URL)."""
    body: dict[str, Any] = {
        "id": info.api_url(item.course.key, "line_items", str(item.id)),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link.resource_link_id if item.resource_link else None,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
    }
    return {k: v for k, v in body.items() if v is not None}


def find_line_item(course: SandboxCourse, item_id: int) -> SandboxLineItem:
    """A line item of the course, or a 404 ``ApiError``."""
    item = db.session.get(SandboxLineItem, item_id)
    if item is None or item.course_id != course.id:
        raise ApiError(404, f"There is no line item {item_id} in {course.label}.")
    return item


def list_line_items(
    info: SandboxInfo, course: SandboxCourse, filters: Mapping[str, str]
) -> list[dict[str, Any]]:
    """A course's line items, filtered by resource_id, tag or resource_link_id."""
    query = select(SandboxLineItem).where(SandboxLineItem.course_id == course.id)
    if filters.get("resource_id"):
        query = query.where(SandboxLineItem.resource_id == filters["resource_id"])
    if filters.get("tag"):
        query = query.where(SandboxLineItem.tag == filters["tag"])
    if filters.get("resource_link_id"):
        query = query.join(SandboxResourceLink).where(
            SandboxResourceLink.resource_link_id == filters["resource_link_id"]
        )
    items = db.session.scalars(query.order_by(SandboxLineItem.id)).all()
    limit = filters.get("limit")
    if limit and limit.isdigit() and int(limit) > 0:
        items = items[: int(limit)]
    return [line_item_json(info, item) for item in items]


def _line_item_fields(course: SandboxCourse, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON line item object.")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ApiError(400, "label is required and must be a non-empty string.")
    maximum = body.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise ApiError(400, "scoreMaximum is required and must be a number greater than 0.")
    fields: dict[str, Any] = {
        "label": label.strip(),
        "score_maximum": float(maximum),
        "resource_link": None,
    }
    for key, attr in (
        ("resourceId", "resource_id"),
        ("tag", "tag"),
        ("startDateTime", "start_date_time"),
        ("endDateTime", "end_date_time"),
    ):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"{key} must be a string.")
        fields[attr] = value
    if body.get("resourceLinkId") is not None:
        link = db.session.scalar(
            select(SandboxResourceLink).where(
                SandboxResourceLink.resource_link_id == str(body["resourceLinkId"]),
                SandboxResourceLink.course_id == course.id,
            )
        )
        if link is None:
            raise ApiError(
                400,
                f"resourceLinkId {body['resourceLinkId']!r} is not a resource "
                f"link of {course.label}.",
            )
        fields["resource_link"] = link
    return fields


def create_line_item(info: SandboxInfo, course: SandboxCourse, body: Any) -> dict[str, Any]:
    """Add a gradebook column."""
    item = SandboxLineItem(course=course, **_line_item_fields(course, body))
    db.session.add(item)
    db.session.flush()
    return line_item_json(info, item)


def update_line_item(info: SandboxInfo, item: SandboxLineItem, body: Any) -> dict[str, Any]:
    """Replace a line item's fields (PUT)."""
    for attr, value in _line_item_fields(item.course, body).items():
        setattr(item, attr, value)
    db.session.flush()
    return line_item_json(info, item)


def delete_line_item(item: SandboxLineItem) -> None:
    """Remove a gradebook column and its results."""
    db.session.execute(delete(SandboxResult).where(SandboxResult.line_item_id == item.id))
    db.session.delete(item)
    db.session.flush()


# --- scores and results ----------------------------------------------------------------------


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


def take_score_fault(rng: random.Random | None = None) -> tuple[int, int | None] | None:
    """Consume one injected score fault, if any: (status, Retry-After seconds). Commits the
    counter at once because the refused request stores nothing else."""
    for status, column in ((500, SandboxFaults.score_500), (429, SandboxFaults.score_429)):
        counter = SandboxFaults.injected_500 if status == 500 else SandboxFaults.injected_429
        result = db.session.execute(
            update(SandboxFaults)
            .where(SandboxFaults.id == 1, column > 0)
            .values({column: column - 1, counter: counter + 1})
        )
        if getattr(result, "rowcount", 0):
            db.session.commit()
            return status, (_faults().score_429_retry_after if status == 429 else None)
    faults = db.session.get(SandboxFaults, 1)
    rng = rng or random.SystemRandom()
    if faults is not None and faults.fail_rate > 0 and rng.random() < faults.fail_rate:
        status = rng.choice((500, 429))
        column = SandboxFaults.injected_500 if status == 500 else SandboxFaults.injected_429
        db.session.execute(
            update(SandboxFaults).where(SandboxFaults.id == 1).values({column: column + 1})
        )
        db.session.commit()
        return status, (faults.score_429_retry_after if status == 429 else None)
    return None


def post_score(info: SandboxInfo, item: SandboxLineItem, body: Any) -> ScoreOutcome:
    """Accept a score as Canvas does: strict validation, students only, timestamps that never
    go back, same timestamp is idempotent, each new score one submission attempt unless the
    Canvas extension says ``new_submission: false``."""
    fault = take_score_fault()
    if fault is not None:
        status, retry_after = fault
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        raise ApiError(
            status,
            "Injected fault: the sandbox is pretending to be "
            + ("down." if status == 500 else "rate-limiting."),
            headers=headers,
        )
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
    person = db.session.scalar(select(SandboxPerson).where(SandboxPerson.user_id == user_id))
    enrolment = (
        None
        if person is None
        else db.session.scalar(
            select(SandboxEnrolment).where(
                SandboxEnrolment.course_id == item.course_id,
                SandboxEnrolment.person_id == person.id,
            )
        )
    )
    if (
        person is None
        or enrolment is None
        or enrolment.role != "learner"
        or enrolment.status != "Active"
    ):
        raise ApiError(
            422,
            f"User {user_id} is not an active student of {item.course.label}; "
            "scores can only be posted for students.",
        )
    result = db.session.scalar(
        select(SandboxResult).where(
            SandboxResult.line_item_id == item.id, SandboxResult.person_id == person.id
        )
    )
    result_url = (
        info.api_url(item.course.key, "line_items", str(item.id), "results") + f"?user_id={user_id}"
    )
    if result is not None and stamp < result.timestamp_utc:
        raise ApiError(400, TIMESTAMP_TOO_OLD)
    if result is not None and stamp == result.timestamp_utc:
        return ScoreOutcome(200, {"resultUrl": result_url, "idempotent": True})
    if result is None:
        result = SandboxResult(line_item=item, person=person, attempts=0, score_posts=0)
        db.session.add(result)
    extension = body.get(CANVAS_SUBMISSION)
    new_submission = not (isinstance(extension, dict) and extension.get("new_submission") is False)
    result.score_given, result.score_maximum = given, maximum
    result.activity_progress = body["activityProgress"]
    result.grading_progress = body["gradingProgress"]
    result.comment = comment
    result.timestamp, result.timestamp_utc = body["timestamp"], stamp
    result.attempts = (result.attempts or 0) + (1 if new_submission else 0)
    result.score_posts = (result.score_posts or 0) + 1
    result.updated_at = utcnow()
    db.session.flush()
    return ScoreOutcome(200, {"resultUrl": result_url})


def list_results(
    info: SandboxInfo, item: SandboxLineItem, user_id: str | None
) -> list[dict[str, Any]]:
    """The results of a line item (of one user with ``user_id``)."""
    query = select(SandboxResult).join(SandboxPerson).where(SandboxResult.line_item_id == item.id)
    if user_id:
        query = query.where(SandboxPerson.user_id == user_id)
    item_url = info.api_url(item.course.key, "line_items", str(item.id))
    out = []
    for result in db.session.scalars(query.order_by(SandboxResult.id)):
        body = {
            "id": f"{item_url}/results/{result.id}",
            "scoreOf": item_url,
            "userId": result.person.user_id,
            "resultScore": result.score_given,
            "resultMaximum": result.score_maximum,
            "comment": result.comment,
            "timestamp": result.timestamp,
        }
        out.append({k: v for k, v in body.items() if v is not None})
    return out


def attempts_report(info: SandboxInfo, course: SandboxCourse) -> dict[str, Any]:
    """Per (line item, user): the current result and the submission-attempt count."""
    rows = db.session.scalars(
        select(SandboxResult)
        .join(SandboxLineItem)
        .where(SandboxLineItem.course_id == course.id)
        .order_by(SandboxResult.id)
    ).all()
    return {
        "course": course.key,
        "results": [
            {
                "line_item": info.api_url(course.key, "line_items", str(r.line_item_id)),
                "line_item_id": r.line_item_id,
                "label": r.line_item.label,
                "resource_id": r.line_item.resource_id,
                "tag": r.line_item.tag,
                "user_id": r.person.user_id,
                "person": r.person.key,
                "score_given": r.score_given,
                "score_maximum": r.score_maximum,
                "activity_progress": r.activity_progress,
                "grading_progress": r.grading_progress,
                "comment": r.comment,
                "timestamp": r.timestamp,
                "attempts": r.attempts,
                "score_posts": r.score_posts,
            }
            for r in rows
        ],
    }


# --- names and roles -------------------------------------------------------------------------

NRPS_PARAMETERS = ("limit", "Limit", "pageToken", "role", "rlid")  # rlid: all members


def _page_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="sandbox-nrps-page")


def memberships_page(
    info: SandboxInfo, course: SandboxCourse, args: Mapping[str, str], *, secret: str
) -> tuple[dict[str, Any], str | None]:
    """One page of a course's members and the next page's URL. Query parameter names and page
    tokens are case-sensitive, as on real platforms."""
    for name in args:
        if name not in NRPS_PARAMETERS:
            raise ApiError(
                400,
                f"Unknown query parameter {name!r}. Parameter names and page "
                "tokens are case-sensitive: follow the next-page URL exactly.",
            )
    raw_limit = args.get("Limit") or args.get("limit") or str(DEFAULT_PAGE_SIZE)
    if not raw_limit.isdigit() or not 0 < int(raw_limit) <= 1000:
        raise ApiError(400, "limit must be a whole number from 1 to 1000.")
    limit, offset = int(raw_limit), 0
    if "pageToken" in args:
        token = args["pageToken"]
        try:
            if not token.startswith(PAGE_TOKEN_PREFIX):
                raise BadSignature("prefix")
            state = _page_serializer(secret).loads(token[len(PAGE_TOKEN_PREFIX) :])
        except BadSignature as exc:
            raise ApiError(400, "pageToken is not valid (tokens are case-sensitive).") from exc
        if state.get("c") != course.key:
            raise ApiError(400, "pageToken belongs to another course.")
        offset = int(state["o"])
    enrolments = db.session.scalars(
        select(SandboxEnrolment)
        .where(SandboxEnrolment.course_id == course.id)
        .order_by(SandboxEnrolment.id)
    ).all()
    role = args.get("role")
    members = []
    for enrolment in enrolments:
        roles = membership_roles(enrolment)
        if role and not any(r == role or r.endswith(f"#{role}") for r in roles):
            continue
        person = enrolment.person
        members.append(
            {
                "status": enrolment.status,
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "user_id": person.user_id,
                "roles": roles,
            }
        )
    page = members[offset : offset + limit]
    url = info.api_url(course.key, "memberships")
    body = {
        "id": url,
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": page,
    }
    next_url = None
    if offset + limit < len(members):
        token = PAGE_TOKEN_PREFIX + _page_serializer(secret).dumps(
            {"c": course.key, "o": offset + limit}
        )
        next_url = f"{url}?pageToken={token}&Limit={limit}"
        if role:
            next_url += f"&role={role}"
    return body, next_url


# --- faults ----------------------------------------------------------------------------------


def _faults() -> SandboxFaults:
    faults = db.session.get(SandboxFaults, 1)
    if faults is None:
        faults = SandboxFaults(
            id=1,
            score_500=0,
            score_429=0,
            score_429_retry_after=1,
            fail_rate=0.0,
            injected_500=0,
            injected_429=0,
        )
        db.session.add(faults)
        db.session.flush()
    return faults


def faults_json() -> dict[str, Any]:
    """The armed faults and how many were injected so far."""
    faults = _faults()
    return {
        "score_500": faults.score_500,
        "score_429": faults.score_429,
        "score_429_retry_after": faults.score_429_retry_after,
        "fail_rate": faults.fail_rate,
        "injected_500": faults.injected_500,
        "injected_429": faults.injected_429,
    }


def set_faults(body: Any) -> dict[str, Any]:
    """Arm faults for the next score posts (counts replace the current ones)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    known = {
        "score_500",
        "score_429",
        "score_429_retry_after",
        "expire_tokens",
        "fail_rate",
        "reset",
    }
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(400, f"Unknown fault setting(s): {', '.join(unknown)}.")
    faults = _faults()
    if body.get("reset"):
        faults.score_500 = faults.score_429 = faults.injected_500 = faults.injected_429 = 0
        faults.fail_rate, faults.score_429_retry_after = 0.0, 1
    for name in ("score_500", "score_429", "score_429_retry_after"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ApiError(400, f"{name} must be a whole number, 0 or more.")
            setattr(faults, name, value)
    if "fail_rate" in body:
        rate = body["fail_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ApiError(400, "fail_rate must be a number from 0 to 1.")
        faults.fail_rate = float(rate)
    faults.updated_at = utcnow()
    expired = expire_all_tokens() if body.get("expire_tokens") is True else 0
    db.session.flush()
    return {**faults_json(), "expired_tokens": expired}


# --- gradebook -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gradebook:
    course: SandboxCourse
    line_items: list[SandboxLineItem]
    students: list[SandboxEnrolment]
    results: dict[tuple[int, int], SandboxResult]


def gradebook(course: SandboxCourse) -> Gradebook:
    """Line items by students with their current results."""
    items = list(
        db.session.scalars(
            select(SandboxLineItem)
            .where(SandboxLineItem.course_id == course.id)
            .order_by(SandboxLineItem.id)
        )
    )
    students = list(
        db.session.scalars(
            select(SandboxEnrolment)
            .where(SandboxEnrolment.course_id == course.id, SandboxEnrolment.role == "learner")
            .order_by(SandboxEnrolment.id)
        )
    )
    results = {
        (r.line_item_id, r.person_id): r
        for r in db.session.scalars(
            select(SandboxResult).where(SandboxResult.line_item_id.in_([i.id for i in items]))
        )
    }
    return Gradebook(course=course, line_items=items, students=students, results=results)


def placed_links(course: SandboxCourse) -> list[SandboxResourceLink]:
    """Resource links placed in the course with Deep Linking."""
    return list(
        db.session.scalars(
            select(SandboxResourceLink)
            .where(SandboxResourceLink.course_id == course.id, SandboxResourceLink.kind == "placed")
            .order_by(SandboxResourceLink.id)
        )
    )
