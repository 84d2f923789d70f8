"""Signed supervisor links (itsdangerous): one salt per purpose, an expiry, bound to one
subject (an engagement, or a listing for selection) and single-use after a submission.

Each issued link is a ``SupervisorLink`` row keyed by the random ``jti`` the token carries; a
submission sets ``used_at``, after which the link opens only the "already used" page."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.models import utcnow

from .models import LINK_PURPOSES, SupervisorLink

DEFAULT_MAX_AGE_DAYS = 14


class LinkError(AppError):
    """A supervisor link that cannot be used; ``reason`` is expired, used or invalid."""

    status = 410
    title = "This link can no longer be used"


@dataclass(frozen=True)
class LinkGrant:
    """What a verified link allows: one purpose on one subject of one tenant."""

    jti: str
    tenant_id: int
    purpose: str
    subject_id: int


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"career-credit.supervisor.{purpose}"
    )


def max_age_seconds() -> int:
    days = current_app.config.get("SUPERVISOR_LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)
    return int(float(days) * 86400)


def issue_link(tenant_id: int, purpose: str, subject_id: int, email: str, actor: str) -> str:
    """A new signed token for ``purpose`` on ``subject_id``, recorded so it can be used once."""
    jti = secrets.token_urlsafe(24)
    db.session.add(
        SupervisorLink(
            jti=jti,
            tenant_id=tenant_id,
            purpose=purpose,
            subject_id=subject_id,
            email=email[:320],
            issued_by=actor[:255],
            expires_at=utcnow() + dt.timedelta(seconds=max_age_seconds()),
        )
    )
    db.session.flush()
    return _serializer(purpose).dumps({"j": jti, "t": tenant_id, "s": subject_id})


def verify_link(token: str, purpose: str, *, for_update: bool = False) -> LinkGrant:
    """The grant of a valid, unexpired, unused token for ``purpose``, else LinkError."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds())
    except SignatureExpired as exc:
        raise LinkError("This link has expired.", reason="expired") from exc
    except BadSignature as exc:
        raise LinkError("This link is not valid.", reason="invalid") from exc
    if not isinstance(data, dict) or not {"j", "t", "s"} <= data.keys():
        raise LinkError("This link is not valid.", reason="invalid")
    stmt = select(SupervisorLink).where(
        SupervisorLink.jti == str(data["j"]), SupervisorLink.purpose == purpose
    )
    if for_update:
        stmt = stmt.with_for_update()
    row = db.session.scalar(stmt)
    if row is None or row.tenant_id != data["t"] or row.subject_id != data["s"]:
        raise LinkError("This link is not valid.", reason="invalid")
    if row.used_at is not None:
        raise LinkError("This link has already been used.", reason="used")
    if row.expires_at <= utcnow():
        raise LinkError("This link has expired.", reason="expired")
    return LinkGrant(row.jti, row.tenant_id, row.purpose, row.subject_id)


def mark_used(grant: LinkGrant) -> None:
    """Spend the link: later requests with it see the "already used" page."""
    # A conditional update, so two submissions racing with one link cannot both win.
    result = db.session.execute(
        update(SupervisorLink)
        .where(SupervisorLink.jti == grant.jti, SupervisorLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise LinkError("This link has already been used.", reason="used")


def link_tenant(token: str) -> int | None:
    """The tenant a token names (signature checked, expiry ignored) — for the page that says
    whom to ask when a link has expired."""
    for purpose in LINK_PURPOSES:
        try:
            data = _serializer(purpose).loads(token)
        except BadSignature:
            continue
        if isinstance(data, dict) and isinstance(data.get("t"), int):
            return int(data["t"])
    return None
