"""Registration invitations: one-time, expiring permissions to register a platform."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import utcnow


class RegistrationInvitation(Model):
    """Lets one LMS administrator register the tool once, before it expires. Only the SHA-256
    of the token is kept; the tenant is either an existing one or created on use."""

    __tablename__ = "registration_invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), default=None)
    new_tenant_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # The key-set id the tenant created on use will have: the tool's registration names the
    # tenant's JWKS URL before the tenant exists.
    new_tenant_key_set_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), default=None
    )
