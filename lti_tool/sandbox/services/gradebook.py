"""The sandbox's gradebook page: assignments, results, placed links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ..errors import SandboxError
from ..models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxLineItem,
    SandboxResourceLink,
    SandboxResult,
)
from ..seed import SandboxInfo
from .common import is_gradebook_item


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
            .where(SandboxLineItem.course_id == course.id, is_gradebook_item())
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


def add_assignment(info: SandboxInfo, course: SandboxCourse, title: Any, maximum: Any) -> int:
    """An instructor's own graded assignment that launches the tool (as an LMS lets any
    assignment use an external tool): a resource link with a line item that is not the tool's
    (no resourceId or tag). Returns the line item's id."""
    label = title.strip() if isinstance(title, str) else ""
    if not label or len(label) > 200:
        raise SandboxError(
            "Give the assignment a title (at most 200 characters).", parameter="title"
        )
    try:
        points = float(maximum)
    except (TypeError, ValueError):
        points = 0.0
    if not 0 < points <= 10_000:
        raise SandboxError("Points must be a number greater than 0.", parameter="points")
    link = SandboxResourceLink(
        resource_link_id=secrets.token_hex(16),
        course=course,
        kind="placed",
        title=label,
        url=info.tool_launch_url,
        custom={},
    )
    item = SandboxLineItem(course=course, label=label, score_maximum=points, resource_link=link)
    db.session.add_all([link, item])
    db.session.flush()
    return item.id


def placed_links(course: SandboxCourse) -> list[SandboxResourceLink]:
    """Resource links placed in the course with Deep Linking."""
    return list(
        db.session.scalars(
            select(SandboxResourceLink)
            .where(SandboxResourceLink.course_id == course.id, SandboxResourceLink.kind == "placed")
            .order_by(SandboxResourceLink.id)
        )
    )
