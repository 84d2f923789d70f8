"""The kept course roster: what the LMS's Names and Role Provisioning Services listed for a
course when it was last read, so that no page view waits on the LMS (``lti_tool.lti.rosters``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class RosterSnapshot(Model):
    """One course's roster as last read from the LMS (one row per course).

    ``members`` holds the NRPS members' fields (user id, name, email, roles, status);
    ``fetched_at`` is when they were read, None until a first read succeeded. A failed read
    keeps the members it had and records ``last_error`` (a connector message, never a token).
    ``refresh_started_at`` is the claim of the one refresh running: set by a conditional UPDATE,
    cleared when it ends, and taken over once it is older than a few minutes."""

    __tablename__ = "roster_snapshot"
    __table_args__ = (UniqueConstraint("tenant_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    memberships_url: Mapped[str] = mapped_column(String(1000))
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    error_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    refresh_started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
