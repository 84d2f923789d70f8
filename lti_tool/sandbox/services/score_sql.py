"""The score path's statements (``scores``), built once: SQLAlchemy neither rebuilds nor
re-keys them per post, and plain table statements skip the ORM's compile step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, and_, bindparam, select, update

from ...db_helpers import insert_ignoring_conflicts
from ..models import (
    SandboxAccessToken,
    SandboxCourse,
    SandboxEnrolment,
    SandboxFaults,
    SandboxLineItem,
    SandboxPerson,
    SandboxResult,
)
from .common import course_with_item

COURSE, ITEM = SandboxCourse.__table__, SandboxLineItem.__table__
PERSON, ENROLMENT, RESULT = (
    SandboxPerson.__table__,
    SandboxEnrolment.__table__,
    SandboxResult.__table__,
)
FAULTS = SandboxFaults.__table__
FAULT_COLUMNS = (
    FAULTS.c.score_500,
    FAULTS.c.score_429,
    FAULTS.c.score_429_retry_after,
    FAULTS.c.fail_rate,
)
ARMED_FAULTS = select(*FAULT_COLUMNS).where(FAULTS.c.id == 1)
SCORE_TARGET = (
    select(COURSE.c.id, COURSE.c.label, ITEM.c.id, *FAULT_COLUMNS)
    .select_from(course_with_item(COURSE, ITEM).outerjoin(FAULTS, FAULTS.c.id == 1))
    .where(COURSE.c.key == bindparam("course_key"))
)
STUDENT_RESULT = (
    select(
        PERSON.c.id,
        ENROLMENT.c.role,
        ENROLMENT.c.status,
        RESULT.c.id,
        RESULT.c.timestamp_utc,
    )
    .select_from(
        PERSON.outerjoin(
            ENROLMENT,
            and_(
                ENROLMENT.c.person_id == PERSON.c.id,
                ENROLMENT.c.course_id == bindparam("course_id"),
            ),
        ).outerjoin(
            RESULT,
            and_(
                RESULT.c.person_id == PERSON.c.id,
                RESULT.c.line_item_id == bindparam("line_item_id"),
            ),
        )
    )
    .where(PERSON.c.user_id == bindparam("user_id"))
)
RESULT_FIELDS = (
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
UPDATE_RESULT = (
    update(RESULT)
    .where(RESULT.c.id == bindparam("result_id"), RESULT.c.timestamp_utc < bindparam("stamp"))
    .values(
        {
            **{name: bindparam(f"new_{name}", type_=RESULT.c[name].type) for name in RESULT_FIELDS},
            "attempts": RESULT.c.attempts + bindparam("new_attempts", type_=Integer),
            "score_posts": RESULT.c.score_posts + 1,
        }
    )
)


def insert_result_statement() -> Any:
    """INSERT a result unless one exists for the line item and person (a concurrent post)."""
    return insert_ignoring_conflicts(RESULT, ["line_item_id", "person_id"])


# A score post's first statement: its bearer token's row, its target (as SCORE_TARGET) and the
# student's enrolment and result (as STUDENT_RESULT, for the userId the body names).
TOKENS = SandboxAccessToken.__table__
TOKEN_TARGET_AND_STUDENT = (
    select(
        TOKENS.c.expires_at,
        TOKENS.c.scopes,
        *SCORE_TARGET.selected_columns,
        *STUDENT_RESULT.selected_columns,
    )
    .select_from(
        course_with_item(COURSE, ITEM)
        .outerjoin(FAULTS, FAULTS.c.id == 1)
        .outerjoin(TOKENS, TOKENS.c.token_hash == bindparam("token_hash"))
        .outerjoin(PERSON, PERSON.c.user_id == bindparam("user_id"))
        .outerjoin(
            ENROLMENT,
            and_(ENROLMENT.c.person_id == PERSON.c.id, ENROLMENT.c.course_id == COURSE.c.id),
        )
        .outerjoin(
            RESULT, and_(RESULT.c.person_id == PERSON.c.id, RESULT.c.line_item_id == ITEM.c.id)
        )
    )
    .where(COURSE.c.key == bindparam("course_key"))
)
