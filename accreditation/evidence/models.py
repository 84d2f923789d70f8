"""Evidence rows: one observation of a student against one version of a framework item.

``item_version_id`` fixes the wording the rater saw, so renaming an item later never changes
what was recorded. ``origin`` names what the row was derived from (for example
``competency_rating:42``) and is unique per tenant, so deriving again never duplicates.
``listing_id`` copies the engagement's listing (an engagement never changes listing), so that
coverage by listing groups evidence rows without joining their engagements.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accreditation.frameworks.models import FrameworkItem, FrameworkItemVersion
from lti_tool.extensions import Model
from lti_tool.models import utcnow

SOURCES = ("direct", "indirect")
METHODS = {
    "supervisor_rating": "direct",
    "faculty_rubric": "direct",
    "self_assessment": "indirect",
}


class Evidence(Model):
    """A level reached on an outcome (None: rated not applicable), by whom, when, in what."""

    __tablename__ = "outcome_evidence"
    __table_args__ = (
        UniqueConstraint("tenant_id", "origin"),
        Index("ix_outcome_evidence_tenant_item", "tenant_id", "item_id", "observed_at"),
        Index("ix_outcome_evidence_tenant_student", "tenant_id", "student_id"),
        # coverage by listing: rated rows per outcome and listing from the index alone
        Index("ix_outcome_evidence_listing", "tenant_id", "item_id", "listing_id", "level"),
        # coverage per course: rated rows per course and outcome from a compact index (equal
        # keys share an entry) rather than the six-column attainment index
        Index("ix_outcome_evidence_course_item", "tenant_id", "course_id", "item_id", "level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement.id"), index=True, default=None
    )
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), default=None)
    # the engagement's listing (None without an engagement); filled in on insert when not given
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), default=None)
    item_id: Mapped[int] = mapped_column(ForeignKey("outcome_item.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("outcome_item_version.id"))
    level: Mapped[int | None] = mapped_column(default=None)  # 1..len(scale); None = N/A
    source: Mapped[str] = mapped_column(String(16))  # direct | indirect
    method: Mapped[str] = mapped_column(String(32))  # supervisor_rating | faculty_rubric | ...
    rater: Mapped[str] = mapped_column(String(255), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    origin: Mapped[str] = mapped_column(String(100))

    item: Mapped[FrameworkItem] = relationship()
    item_version: Mapped[FrameworkItemVersion] = relationship()


@event.listens_for(Evidence, "before_insert")
def _listing_of_engagement(_mapper: Any, connection: Any, target: Evidence) -> None:
    """A row written with its engagement but not its listing gets the engagement's listing
    (the writers in this package pass it; this keeps any other writer's rows counted)."""
    if target.listing_id is None and target.engagement_id is not None:
        from internships.work.models import Engagement

        target.listing_id = connection.scalar(
            select(Engagement.listing_id).where(Engagement.id == target.engagement_id)
        )
