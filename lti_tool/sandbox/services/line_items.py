"""AGS line items: listed, created, updated and deleted as Canvas does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from ...extensions import db
from ..errors import ApiError
from ..models import (
    SandboxCourse,
    SandboxLineItem,
    SandboxResourceLink,
    SandboxResult,
)
from ..seed import SandboxInfo
from .common import COMPETENCY_TAG, is_gradebook_item


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
