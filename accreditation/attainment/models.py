"""Attainment settings (target level, coverage threshold), "closing the loop" notes, export jobs,
and the indexes the attainment reports read ``outcome_evidence`` through.

Every row carries its tenant and every query filters by it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accreditation.evidence.models import Evidence
from lti_tool.extensions import Model
from lti_tool.models import utcnow

DEFAULT_TARGET_LEVEL = 3  # "Early Application" on the default four-level scale
DEFAULT_MIN_EVIDENCE = 10  # fewer rated observations than this: "too little evidence"


class AttainmentSetting(Model):
    """A framework's target level and coverage threshold (``item_id`` None), or one outcome's
    own target level (``item_id`` set)."""

    __tablename__ = "attainment_setting"
    __table_args__ = (Index("ix_attainment_setting_tenant_framework", "tenant_id", "framework_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("outcome_framework.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_item.id"), default=None)
    target_level: Mapped[int] = mapped_column(default=DEFAULT_TARGET_LEVEL)
    min_evidence: Mapped[int] = mapped_column(default=DEFAULT_MIN_EVIDENCE)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoopNote(Model):
    """A "closing the loop" note: what the program will change for an outcome (AACSB 5)."""

    __tablename__ = "attainment_note"
    __table_args__ = (Index("ix_attainment_note_tenant_item", "tenant_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("outcome_framework.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("outcome_item.id"))
    term: Mapped[str] = mapped_column(String(255), default="")  # the term it responds to
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


EXPORT_STATUSES = ("queued", "running", "done", "failed")


class AttainmentExport(Model):
    """An accreditation export job: its parameters, counters the progress page polls, and the
    zip it wrote (a file under ATTAINMENT_EXPORT_DIR), served only to the advisor who asked."""

    __tablename__ = "attainment_export"
    __table_args__ = (Index("ix_attainment_export_tenant_user", "tenant_id", "requested_by_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    actor: Mapped[str] = mapped_column(String(255))
    framework_id: Mapped[int] = mapped_column(ForeignKey("outcome_framework.id"))
    program: Mapped[str] = mapped_column(String(200), default="")
    term_from: Mapped[str] = mapped_column(String(255), default="")
    term_to: Mapped[str] = mapped_column(String(255), default="")
    pseudonymize: Mapped[bool] = mapped_column(default=False)
    sample_per_stratum: Mapped[int] = mapped_column(default=20)
    seed: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    step: Mapped[str] = mapped_column(String(64), default="")
    total: Mapped[int] = mapped_column(default=0)  # evidence rows to write
    processed: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(100), default=None)
    file_size: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


# Indexes the attainment reports read evidence through (created by this module's migration):
# per outcome, measure and student (the attainment GROUP BY runs from an index-only scan; the
# course is there for the term filter), and per course (the course report, coverage by course).
ATTAINMENT_INDEXES = (
    Index(
        "ix_outcome_evidence_attainment",
        Evidence.tenant_id,
        Evidence.item_id,
        Evidence.source,
        Evidence.student_id,
        Evidence.level,
        Evidence.course_id,
    ),
    Index("ix_outcome_evidence_tenant_course", Evidence.tenant_id, Evidence.course_id),
)
