"""The media types and limits of the sandbox's services, and finding a course."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select

from ...extensions import db
from ..errors import ApiError
from ..models import (
    SandboxCourse,
    SandboxLineItem,
)

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
# The line items that hold the competency ratings Moodle's web services received
# (``lti_tool.sandbox.competencies``): a Moodle course's competency ratings are not gradebook
# columns, so AGS, the gradebook and the attempts report never show them.
COMPETENCY_TAG = "sandbox:moodle-competency-rating"


def is_gradebook_item(item: Any = SandboxLineItem) -> ColumnElement[bool]:
    """A line item of the gradebook (AGS), not a competency-ratings holder."""
    condition: ColumnElement[bool] = item.tag.is_distinct_from(COMPETENCY_TAG)
    return condition


def course_with_item(course: Any, item: Any) -> Any:
    """The course table outer-joined to its gradebook line item bound as ``item_id`` (the
    statements of the line item and score endpoints start from it)."""
    return course.outerjoin(
        item,
        and_(
            item.c.id == bindparam("item_id"),
            item.c.course_id == course.c.id,
            is_gradebook_item(item.c),
        ),
    )


def find_course(course_key: str) -> SandboxCourse:
    """The course with this key, or a 404 ``ApiError``."""
    course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == course_key))
    if course is None:
        raise ApiError(404, f"There is no sandbox course {course_key!r}.")
    return course
