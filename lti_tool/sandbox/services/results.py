"""AGS results of a line item, and the attempts report the sandbox's tests and pages read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from ...extensions import db
from ..models import SandboxCourse, SandboxLineItem, SandboxPerson, SandboxResult
from ..seed import SandboxInfo
from .common import is_gradebook_item


def list_results(
    info: SandboxInfo, item: SandboxLineItem, user_id: str | None
) -> list[dict[str, Any]]:
    """The results of a line item (of one user with ``user_id``)."""
    query = (
        select(SandboxResult, SandboxPerson.user_id)
        .join(SandboxPerson)
        .where(SandboxResult.line_item_id == item.id)
    )
    if user_id:
        query = query.where(SandboxPerson.user_id == user_id)
    item_url = info.api_url(item.course.key, "line_items", str(item.id))
    out = []
    for result, result_user_id in db.session.execute(query.order_by(SandboxResult.id)):
        body = {
            "id": f"{item_url}/results/{result.id}",
            "scoreOf": item_url,
            "userId": result_user_id,
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
        .where(SandboxLineItem.course_id == course.id, is_gradebook_item())
        .options(contains_eager(SandboxResult.line_item), joinedload(SandboxResult.person))
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
