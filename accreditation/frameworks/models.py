"""Outcome frameworks: a tenant's frameworks (NACE built in, program outcomes from templates,
CASE imports, course outcomes read from the LMS), their items in a hierarchy, and the versions of
each item's text.

An item's identifier (a CASE ``identifier`` UUID) never changes; a change of its text adds a
version, and evidence refers to the version, so renaming an item never rewrites history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.crypto import EncryptedText
from lti_tool.extensions import Model
from lti_tool.models import utcnow

# The default rating scale, lowest first (stored as 1..4; "not applicable" is stored as no level).
DEFAULT_SCALE = ["Emerging Knowledge", "Understanding", "Early Application", "Advanced Application"]
NOT_APPLICABLE = "N/A"


class Framework(Model):
    """A set of outcomes or competencies of one tenant (a CASE CFDocument)."""

    __tablename__ = "outcome_framework"
    __table_args__ = (UniqueConstraint("tenant_id", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(36))  # CFDocument identifier (UUID)
    kind: Mapped[str] = mapped_column(String(16))  # competencies | program | course
    source: Mapped[str] = mapped_column(String(16))  # builtin | template | case | local | lms
    template: Mapped[str] = mapped_column(String(32), default="")  # nace | abet | program
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(String(300), default="")
    program: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(64), default="")  # CFDocument.version
    source_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), default=None)
    scale: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_SCALE))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[FrameworkItem]] = relationship(
        back_populates="framework", order_by="FrameworkItem.position, FrameworkItem.id"
    )


class FrameworkItem(Model):
    """One outcome or competency (a CASE CFItem); its text lives in its versions."""

    __tablename__ = "outcome_item"
    __table_args__ = (UniqueConstraint("framework_id", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("outcome_framework.id"))
    identifier: Mapped[str] = mapped_column(String(36))  # CFItem identifier (UUID)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_item.id"), default=None)
    position: Mapped[int] = mapped_column(default=0)
    human_coding: Mapped[str] = mapped_column(String(64), default="")
    item_type: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    framework: Mapped[Framework] = relationship(back_populates="items")
    parent: Mapped[FrameworkItem | None] = relationship(remote_side=[id])
    versions: Mapped[list[FrameworkItemVersion]] = relationship(
        back_populates="item", order_by="FrameworkItemVersion.number"
    )

    @property
    def current(self) -> FrameworkItemVersion:
        """The latest version of the item's text."""
        return self.versions[-1]


class FrameworkItemVersion(Model):
    """The text of an item as it was from ``created_at``; never edited once written."""

    __tablename__ = "outcome_item_version"
    __table_args__ = (UniqueConstraint("item_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("outcome_item.id"))
    number: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(300))  # CFItem.abbreviatedStatement
    statement: Mapped[str] = mapped_column(Text, default="")  # CFItem.fullStatement
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    item: Mapped[FrameworkItem] = relationship(back_populates="versions")

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "statement": self.statement}


class CanvasAuthorization(Model):
    """A person's Canvas OAuth2 tokens for one registration (encrypted at rest)."""

    __tablename__ = "canvas_authorization"
    __table_args__ = (UniqueConstraint("registration_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    canvas_url: Mapped[str] = mapped_column(String(500))
    access_token: Mapped[str] = mapped_column(EncryptedText())
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutcomeAlignment(Model):
    """A course outcome mapped to a career competency or program outcome (the crosswalk)."""

    __tablename__ = "outcome_alignment"
    __table_args__ = (UniqueConstraint("source_item_id", "target_item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    source_item_id: Mapped[int] = mapped_column(ForeignKey("outcome_item.id"))
    target_item_id: Mapped[int] = mapped_column(ForeignKey("outcome_item.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
