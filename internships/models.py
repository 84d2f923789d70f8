"""Internship marketplace models: employers, listings and the facets the board filters on.

Every row carries its tenant and every query filters by it. The full-text index over
``Listing.search_title``/``search_body`` is not a model: it is an FTS5 table (SQLite) or a
stored ``search_vector`` column with a GIN index (PostgreSQL), created by hand in the
migrations; see ``services/search.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import Model, db
from lti_tool.models import utcnow

# Search structures the migrations create by hand; autogenerate and the "models and
# migrations agree" check leave them alone (see lti_tool.extensions.include_in_migrations).
db.metadata.info.setdefault("unmanaged_names", set()).update(
    {
        "listing_fts",
        "listing_fts_data",
        "listing_fts_idx",
        "listing_fts_docsize",
        "listing_fts_config",
        "ix_listing_search_fts",
        "search_vector",  # PostgreSQL only: a stored tsvector column of listing
        "ix_listing_search_vector",
        "search_title_vector",  # PostgreSQL only: the title's words (c5d2b1f3e4a2)
        "ix_listing_search_title_vector",
        "facets",  # PostgreSQL only: skills, competencies, place and pay as text[] (f16c0000000c)
        "ix_listing_facets",
    }
)

COMPENSATION_TYPES = ("fixed", "hourly", "unpaid")
LOCATION_TYPES = ("remote", "hybrid", "onsite")
STATUSES = ("draft", "pending_approval", "open", "filled", "closed", "expired")
# a listing's status as people read it, on every page and in every export
STATUS_LABELS = {
    "draft": "Draft",
    "pending_approval": "Waiting for approval",
    "open": "Open",
    "filled": "Filled",
    "closed": "Closed",
    "expired": "Expired",
}
SOURCES = ("manual", "employer_form", "import")


class Employer(Model):
    """An organisation that offers micro-internships to a tenant's students."""

    __tablename__ = "employer"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    verified: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listings: Mapped[list[Listing]] = relationship(back_populates="employer")


class Listing(Model):
    """A micro-internship. Money is in minor units (cents); ``effective_rate_cents`` is the
    hourly rate a student earns (fixed fee / estimated hours, the hourly rate, or 0 unpaid),
    kept by the services so the board can filter and sort on it."""

    __tablename__ = "listing"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id"),
        # "id" last: the board's order (deadline, then id) is the index order (c5d2b1f3e4a2)
        Index("ix_listing_board", "tenant_id", "status", "application_deadline", "id"),
        # the board's other sorts, each read in index order (backwards for newest and pay):
        # at 250,000 listings each sorted every open listing, 200-250 ms a page (f16c0000000c)
        Index("ix_listing_board_newest", "tenant_id", "status", "created_at", "id"),
        Index("ix_listing_board_pay", "tenant_id", "status", "effective_rate_cents", "id"),
        Index("ix_listing_board_hours", "tenant_id", "status", "estimated_hours", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    deliverables: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # vocabulary ids
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)  # NACE names
    estimated_hours: Mapped[int]
    application_deadline: Mapped[dt.date | None] = mapped_column(default=None)
    work_start: Mapped[dt.date | None] = mapped_column(default=None)
    work_end: Mapped[dt.date | None] = mapped_column(default=None)
    compensation_type: Mapped[str] = mapped_column(String(16))  # fixed | hourly | unpaid
    pay_amount_cents: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    effective_rate_cents: Mapped[int] = mapped_column(default=0)
    location_type: Mapped[str] = mapped_column(String(16))  # remote | hybrid | onsite
    location: Mapped[str] = mapped_column(String(200), default="")
    openings: Mapped[int] = mapped_column(default=1)
    # {"programs": [...], "class_years": [...], "work_authorization": "..."}
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(24), default="draft")
    approved_by: Mapped[str | None] = mapped_column(String(255), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    approval_note: Mapped[str] = mapped_column(Text, default="")
    # DOL Fact Sheet #71 factor key -> the advisor's justification (unpaid listings only)
    unpaid_justification: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    # Normalised words for full-text search (see services/search.py), kept by the services.
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    employer: Mapped[Employer] = relationship(back_populates="listings")

    @property
    def is_paid(self) -> bool:
        return self.compensation_type != "unpaid"


class ListingFacet(Model):
    """One skill or competency of a listing, so the board filters with an index instead of
    searching JSON (kept in step with ``Listing.skills``/``competencies`` by the services)."""

    __tablename__ = "listing_facet"
    __table_args__ = (Index("ix_listing_facet_lookup", "tenant_id", "kind", "value", "listing_id"),)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # skill | competency
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))


class EmployerInvitation(Model):
    """A signed, expiring invitation for an employer to submit a listing through the public
    form (no LMS account). Optionally bound to an existing employer; single use."""

    __tablename__ = "employer_invitation"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), default=None)
    email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text, default="")
    issued_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), default=None)

    employer: Mapped[Employer | None] = relationship()

    @property
    def state(self) -> str:
        """used | revoked | expired | open (the expiry compared with the clock now)."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= utcnow() else "open"


class CoursePin(Model):
    """A listing an instructor pinned to the top of their course's board."""

    __tablename__ = "course_pin"
    __table_args__ = (UniqueConstraint("course_id", "listing_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    pinned_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


IMPORT_KINDS = ("listings", "profiles")
IMPORT_JOB_STATUSES = ("queued", "running", "done", "failed")


class ImportJob(Model):
    """A long import run in the background: the file's text (cleared when done), counters the
    advisor's page polls, and the row-by-row report."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_tenant_created", "tenant_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(16))  # listings | profiles
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # [{"row": n, "outcome": ..., "key": ..., "name": ..., "reason": ..., "listing_id": ...}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, (100 * self.processed) // self.total)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")
