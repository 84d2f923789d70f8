"""The sandbox LMS's own tables (all prefixed ``sandbox_``): its key, demo courses and people,
launch hints, placed resource links, line items and results, service tokens, replay stores
and injected faults. Development and demos only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..extensions import Model
from ..models import utcnow


class SandboxKey(Model):
    """The sandbox platform's RSA signing key (generated on first seed, never in git)."""

    __tablename__ = "sandbox_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(EncryptedText())
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SandboxCourse(Model):
    """A demo course (an LTI context) with its term."""

    __tablename__ = "sandbox_course"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    context_id: Mapped[str] = mapped_column(String(255), unique=True)
    label: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    term_name: Mapped[str] = mapped_column(String(64))
    term_start: Mapped[dt.date] = mapped_column()
    term_end: Mapped[dt.date] = mapped_column()

    enrolments: Mapped[list[SandboxEnrolment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )


class SandboxPerson(Model):
    """A demo person. ``key`` is the login hint; ``user_id`` the stable LTI ``sub``."""

    __tablename__ = "sandbox_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # student faculty ta advisor observer admin
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(255))

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class SandboxEnrolment(Model):
    """A person in a course: ``role`` is learner, instructor, ta or mentor."""

    __tablename__ = "sandbox_enrolment"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_course.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("sandbox_person.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="Active")  # Active | Inactive

    course: Mapped[SandboxCourse] = relationship(back_populates="enrolments")
    person: Mapped[SandboxPerson] = relationship()


class SandboxResourceLink(Model):
    """A placement of the tool: a course's navigation link, the account navigation link
    (``course_id`` empty), or an item placed by Deep Linking."""

    __tablename__ = "sandbox_resource_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_id: Mapped[str] = mapped_column(String(255), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("sandbox_course.id"), default=None)
    kind: Mapped[str] = mapped_column(String(32))  # course_navigation account_navigation placed
    title: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str | None] = mapped_column(String(1000), default=None)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    course: Mapped[SandboxCourse | None] = relationship()


class SandboxLaunchHint(Model):
    """The opaque ``lti_message_hint``: which course, person, message and resource link a login
    is for. Deep-linking requests also remember the ``data`` they sent."""

    __tablename__ = "sandbox_launch_hint"
    hint: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("sandbox_person.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("sandbox_course.id"), default=None)
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("sandbox_resource_link.id"))
    message_type: Mapped[str] = mapped_column(String(32))  # resource | deep_link
    deep_link_data: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[SandboxPerson] = relationship()
    course: Mapped[SandboxCourse | None] = relationship()
    resource_link: Mapped[SandboxResourceLink] = relationship()


class SandboxLineItem(Model):
    """An AGS line item (a gradebook column) of a course."""

    __tablename__ = "sandbox_line_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_course.id"), index=True)
    label: Mapped[str] = mapped_column(String(500))
    score_maximum: Mapped[float] = mapped_column(Float)
    resource_id: Mapped[str | None] = mapped_column(String(255), default=None)
    tag: Mapped[str | None] = mapped_column(String(255), default=None)
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("sandbox_resource_link.id"), default=None
    )
    start_date_time: Mapped[str | None] = mapped_column(String(64), default=None)
    end_date_time: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    course: Mapped[SandboxCourse] = relationship()
    resource_link: Mapped[SandboxResourceLink | None] = relationship()


class SandboxResult(Model):
    """The current result of one person on one line item, and how many submission attempts
    the accepted score posts made."""

    __tablename__ = "sandbox_result"
    __table_args__ = (UniqueConstraint("line_item_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(
        ForeignKey("sandbox_line_item.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("sandbox_person.id"))
    score_given: Mapped[float | None] = mapped_column(Float, default=None)
    score_maximum: Mapped[float | None] = mapped_column(Float, default=None)
    activity_progress: Mapped[str] = mapped_column(String(32))
    grading_progress: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    timestamp: Mapped[str] = mapped_column(String(64))  # as the tool sent it
    timestamp_utc: Mapped[dt.datetime] = mapped_column()  # naive UTC, for comparison
    attempts: Mapped[int] = mapped_column(default=0)
    score_posts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    line_item: Mapped[SandboxLineItem] = relationship()
    person: Mapped[SandboxPerson] = relationship()


class SandboxAccessToken(Model):
    """An issued bearer token; only its SHA-256 is stored."""

    __tablename__ = "sandbox_access_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SandboxUsedValue(Model):
    """Single-use values: client-assertion ``jti``s and deep-linking response nonces."""

    __tablename__ = "sandbox_used_value"
    __table_args__ = (UniqueConstraint("kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # jti | dl_nonce
    value: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class SandboxFaults(Model):
    """Faults injected into score posts (one row, id 1), shared by every process."""

    __tablename__ = "sandbox_faults"
    id: Mapped[int] = mapped_column(primary_key=True)
    score_500: Mapped[int] = mapped_column(default=0)
    score_429: Mapped[int] = mapped_column(default=0)
    score_429_retry_after: Mapped[int] = mapped_column(default=1)
    fail_rate: Mapped[float] = mapped_column(Float, default=0.0)
    injected_500: Mapped[int] = mapped_column(default=0)
    injected_429: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
