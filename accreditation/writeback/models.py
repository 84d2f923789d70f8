"""What Career Credit created in an LMS once per course and must find again (Canvas's rubric
and its association with the credit assignment)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow


class CanvasRubricLink(Model):
    """The Canvas rubric of a course: one criterion per course outcome (aligned through
    ``learning_outcome_id``), associated with the credit assignment, never used for grading."""

    __tablename__ = "writeback_canvas_rubric"
    __table_args__ = (UniqueConstraint("tenant_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    canvas_course_id: Mapped[str] = mapped_column(String(32))
    assignment_id: Mapped[str] = mapped_column(String(32))
    rubric_id: Mapped[str] = mapped_column(String(32))
    association_id: Mapped[str] = mapped_column(String(32))
    # item identifier (our UUID) -> Canvas criterion id
    criteria: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
