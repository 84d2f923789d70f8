"""Models of internships.workspace.plan: the onboarding checklist (a tenant default and
per-listing templates, each engagement's own copy), the learning agreement's milestones with
the history of proposed and agreed changes, and the students' private calendar feeds.

Every row carries its tenant and every query filters by it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow

# who ticked a checklist item, proposed or agreed a milestone change
PARTIES = ("student", "supervisor")
CHANGE_KINDS = ("add", "edit", "remove")
CHANGE_STATUSES = ("proposed", "agreed", "declined", "withdrawn")


class ChecklistTemplate(Model):
    """An onboarding checklist template: the tenant's default (``listing_id`` NULL) or one
    listing's. ``items`` is a list of ``{"label": str, "kickoff": bool}``."""

    __tablename__ = "workspace_checklist_template"
    __table_args__ = (
        Index(
            "uq_workspace_checklist_template_default",
            "tenant_id",
            unique=True,
            sqlite_where=text("listing_id IS NULL"),
            postgresql_where=text("listing_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), unique=True, default=None
    )
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChecklistItem(Model):
    """One item of an engagement's onboarding checklist (copied from a template when the
    checklist is first written); ``kickoff`` marks the kick-off call."""

    __tablename__ = "workspace_checklist_item"
    __table_args__ = (UniqueConstraint("engagement_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    kickoff: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    done_by: Mapped[str | None] = mapped_column(String(255), default=None)
    done_role: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Milestone(Model):
    """An agreed milestone of an engagement's learning agreement; a deliverable answers it
    (``deliverable_id``) and marks it done."""

    __tablename__ = "workspace_milestone"
    __table_args__ = (Index("ix_workspace_milestone_due", "tenant_id", "due_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[dt.date]
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    deliverable_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliverable.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MilestoneChange(Model):
    """A proposed change to the milestones (add, edit, remove) and what became of it: applied
    once the student and the supervisor have both agreed (the proposer's side agrees by
    proposing). ``before``/``after``: ``{"title", "due_date"}`` (ISO date)."""

    __tablename__ = "workspace_milestone_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace_milestone.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(8))  # add | edit | remove
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[str] = mapped_column(String(255))
    proposed_role: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    student_agreed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    student_agreed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    supervisor_agreed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    supervisor_agreed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(255), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CalendarFeed(Model):
    """A student's private calendar address: only the SHA-256 of its token is kept; revoking
    (or making a new address) sets ``revoked_at``."""

    __tablename__ = "workspace_calendar_feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
