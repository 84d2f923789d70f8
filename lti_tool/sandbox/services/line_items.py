"""AGS line items: listed, created, updated and deleted as Canvas does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select

from ...extensions import db
from ..errors import ApiError
from ..models import (
    SandboxAccessToken,
    SandboxCourse,
    SandboxLineItem,
    SandboxResourceLink,
    SandboxResult,
)
from ..seed import SandboxInfo
from ..tokens import authenticate, bearer_hash, check_token
from .common import COMPETENCY_TAG, course_with_item, is_gradebook_item


def line_item_json(info: SandboxInfo, item: SandboxLineItem) -> dict[str, Any]:
    """A line item as AGS represents it (``id`` is its URL)."""
    return _json(
        info,
        item.course.key,
        item.id,
        item.label,
        item.score_maximum,
        item.resource_id,
        item.tag,
        item.resource_link.resource_link_id if item.resource_link else None,
        item.start_date_time,
        item.end_date_time,
    )


_FIELDS = (
    "label", "scoreMaximum", "resourceId", "tag", "resourceLinkId", "startDateTime",
    "endDateTime",
)  # fmt: skip


def _json(info: SandboxInfo, course_key: str, item_id: int, *fields: Any) -> dict[str, Any]:
    body = {
        "id": info.api_url(course_key, "line_items", str(item_id)),
        **dict(zip(_FIELDS, fields, strict=True)),
    }
    return {k: v for k, v in body.items() if v is not None}


# GET of one line item (the tool checks its gradebook column before each award): the bearer
# token's row and the course's line item in one prebuilt statement.
_tokens, _course = SandboxAccessToken.__table__, SandboxCourse.__table__
_item, _link = SandboxLineItem.__table__, SandboxResourceLink.__table__
_TOKEN_AND_LINE_ITEM = (
    select(
        _tokens.c.expires_at,
        _tokens.c.scopes,
        _course.c.label,
        _item.c.id,
        _item.c.label,
        _item.c.score_maximum,
        _item.c.resource_id,
        _item.c.tag,
        _link.c.resource_link_id,
        _item.c.start_date_time,
        _item.c.end_date_time,
    )
    .select_from(
        course_with_item(_course, _item)
        .outerjoin(_link, _link.c.id == _item.c.resource_link_id)
        .outerjoin(_tokens, _tokens.c.token_hash == bindparam("token_hash"))
    )
    .where(_course.c.key == bindparam("course_key"))
)


def read_line_item(
    info: SandboxInfo,
    authorization: str | None,
    accepted_scopes: Iterable[str],
    course_key: str,
    item_id: int,
) -> dict[str, Any]:
    """A course's line item as AGS represents it, for a bearer token with one of the accepted
    scopes, in one statement: 401s as ``authenticate`` raises them, then 404s as
    ``find_course`` and ``find_line_item`` do."""
    token_hash = bearer_hash(authorization)
    row = db.session.execute(
        _TOKEN_AND_LINE_ITEM,
        {"course_key": course_key, "item_id": item_id, "token_hash": token_hash},
    ).first()
    if row is None:  # no such course, so no token read: the token is checked on its own first
        authenticate(authorization, accepted_scopes)
        raise ApiError(404, f"There is no sandbox course {course_key!r}.")
    check_token(row[0], row[1], accepted_scopes)
    if row[3] is None:
        raise ApiError(404, f"There is no line item {item_id} in {row[2]}.")
    return _json(info, course_key, *row[3:])


def find_line_item(course: SandboxCourse, item_id: int) -> SandboxLineItem:
    """A line item of the course, or a 404 ``ApiError``."""
    item = db.session.get(SandboxLineItem, item_id)
    if item is None or item.course_id != course.id or item.tag == COMPETENCY_TAG:
        raise ApiError(404, f"There is no line item {item_id} in {course.label}.")
    return item


def list_line_items(
    info: SandboxInfo, course: SandboxCourse, filters: Mapping[str, str]
) -> list[dict[str, Any]]:
    """A course's line items, filtered by resource_id, tag or resource_link_id."""
    query = select(SandboxLineItem).where(
        SandboxLineItem.course_id == course.id, is_gradebook_item()
    )
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
