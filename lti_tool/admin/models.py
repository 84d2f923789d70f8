"""The admin area's tables: connector credentials per platform registration (the Canvas REST
URL and OAuth2 developer key, the Moodle web-service URL and token; secrets encrypted at rest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..extensions import Model
from ..models import utcnow


class ConnectorCredentials(Model):
    """How Career Credit reaches a registration's LMS beyond LTI (REST, web services)."""

    __tablename__ = "connector_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    canvas_url: Mapped[str | None] = mapped_column(String(500), default=None)
    canvas_oauth_client_id: Mapped[str | None] = mapped_column(String(255), default=None)
    canvas_oauth_client_secret: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    moodle_url: Mapped[str | None] = mapped_column(String(500), default=None)
    moodle_ws_token: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
