"""Core models: tenants, platform registrations, deployments, tool keys, people and courses,
launches and the OIDC state/nonce records every worker shares."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .crypto import EncryptedText
from .extensions import Model


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_key_set_id() -> str:
    """A tenant's public key-set identifier: random, so its JWKS URL reveals neither how many
    tenants there are nor which one it is, and stable (a platform stores the URL)."""
    return secrets.token_urlsafe(16)


class Tenant(Model):
    """One institution. Owns registrations, courses, people and everything they create."""

    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Role rules: {"advisor_claim": {"name": "...", "value": "..."},
    #              "institution_admin_is_tool_admin": true}
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The tenant's JWKS URL is /lti/jwks/<key_set_id> (see keys.py).
    key_set_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_key_set_id)
    # Raised with every change to what its CSP origins come from (lti_tool.csp): pages keep
    # the origins computed for a version.
    origins_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Tenants that existed before per-tenant keys keep signing with the installation's keys
    # (published at /lti/jwks) until the operator rotates a key of their own in.
    legacy_keys: Mapped[bool] = mapped_column(default=False)

    registrations: Mapped[list[Registration]] = relationship(back_populates="tenant")


class Registration(Model):
    """A platform registration: one issuer + client id, owned by a tenant."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    strict_deployments: Mapped[bool] = mapped_column(default=False)
    # LMS domains its service URLs may use besides the hosts of the URLs above (see
    # lti/service_hosts.py): added by an operator, or learned from its validated launches.
    service_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Origins allowed to frame the tool's pages that this registration's platform revealed
    # (lti/frame_origins.py): [{"origin", "source", "at", "allowed"}]. ``allowed`` false: a
    # framing origin a launch came from that no signed claim vouched for ("seen"), offered to
    # the administrator on the admin page.
    frame_origins: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="registrations")
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class Deployment(Model):
    """A deployment id under a registration; ``pending`` ones wait for an administrator."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | pending
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Recorded by a launch (not announced by an operator or a registration): the admin
    # overview lists it as new until an administrator acknowledges it.
    first_seen_by_launch: Mapped[bool] = mapped_column(default=False)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(255), default=None)

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class ToolKey(Model):
    """An RSA key of the tool. Published from ``created_at``, signs from ``signing_from``,
    removed from the key set when retired. A key belongs to one tenant, or (``tenant_id`` null)
    to the installation: the legacy key set at /lti/jwks."""

    __tablename__ = "tool_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(EncryptedText())  # Fernet, see crypto.py
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signing_from: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Course(Model):
    """An LTI context of one LMS inside a tenant: keyed by (tenant, issuer, context id), since
    two LMSs of one institution may send the same context id (Moodle's are small integers)."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer", "context_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    # The registration's issuer (not its id: a re-install's new client id keeps the courses).
    issuer: Mapped[str] = mapped_column(String(500))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    term_name: Mapped[str | None] = mapped_column(String(255), default=None)
    term_start: Mapped[str | None] = mapped_column(String(64), default=None)
    term_end: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def term_dates(self) -> tuple[dt.date | None, dt.date | None]:
        """The term's first and last day, as the LMS sent them (None where absent or
        unreadable: Canvas sends ISO times, others plain dates)."""
        return _day(self.term_start), _day(self.term_end)


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None


class User(Model):
    """An identity known from launches: ``sub`` is the stable user id of the LMS named by
    ``issuer``; the same person in two LMSs is two identities unless an administrator links
    them (``IdentityLink``)."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer", "sub"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    # The registration's issuer (not its id: a re-install's new client id keeps the people).
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdentityLink(Model):
    """An administrator's statement that identity ``user_id`` (of one LMS) is the same person
    as ``primary_user_id`` (of another LMS of the tenant): that identity's launches without a
    course act as the primary user. Inside a course each LMS's identity stays its own (grades
    and rosters must name the user id that LMS knows)."""

    __tablename__ = "identity_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), unique=True)
    # Null once the primary is erased: the link then no longer applies.
    primary_user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id"), index=True)
    linked_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Enrolment(Model):
    """A user in a course with the roles of their latest launch."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    last_launch_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ResourceLink(Model):
    """A placement of the tool in a course (a link or a gradable item)."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AdvisorGrant(Model):
    """An explicit grant of the career-advisor role to a user of a tenant."""

    __tablename__ = "advisor_grant"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    granted_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AdvisorClaimSeen(Model):
    """A person the advisor claim rule made a career advisor at a launch (the latest one), kept
    beyond the launches themselves (hours) so that the administrator's advisors page lists
    every advisor the rule made, not only those who launched today."""

    __tablename__ = "advisor_claim_seen"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    claim_name: Mapped[str] = mapped_column(String(255))
    claim_value: Mapped[str] = mapped_column(String(255))
    last_launch_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Launch(Model):
    """A validated launch. Its random id travels in the session cookie and, for browsers that
    block the cookie in the LMS iframe, in URLs and forms; it expires."""

    __tablename__ = "launch"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), default=None)
    role: Mapped[str] = mapped_column(String(32))
    read_only: Mapped[bool] = mapped_column(default=False)
    is_tool_admin: Mapped[bool] = mapped_column(default=False)
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    # Set (with expires_at) when an administrator revokes the role this launch carried, so
    # the next request says why the session ended.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LaunchMessage(Model):
    """A flashed message waiting for the next page of its launch: kept here, not in the cookie
    session, so that it reaches the person when the LMS iframe blocks the cookie. Shown once,
    then deleted; goes with its launch (``lti_tool/messages.py``)."""

    __tablename__ = "launch_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    launch_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("launch.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LtiState(Model):
    """OIDC login state and nonce records (single use), shared by every worker."""

    __tablename__ = "lti_state"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[int] = mapped_column(index=True)  # unix seconds


class AuditEntry(Model):
    """Who did what, when, and why. Written by services; never edited."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_tenant_created", "tenant_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), default=None)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
