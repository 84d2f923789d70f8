"""Signed supervisor links (itsdangerous): one salt per purpose, an expiry, bound to one
subject (an engagement, or a listing for selection) and single-use after a submission.

Each issued link is a ``SupervisorLink`` row keyed by the random ``jti`` the token carries; a
submission sets ``used_at``, after which the link opens only the "already used" page.

A link is bound to what it was issued for, not just to an integer id: an engagement's link
records the engagement's random ``link_nonce``, its student and its supervisor's email, and
opens (``open_engagement_link``) only while all three still match and the engagement is active
or submitted. A listing's link opens only a listing that existed when it was issued. So a
deleted row whose id is reused (SQLite reuses the largest deleted id) is never reached through
an old link. Replacing the supervisor, closing the engagement and erasing the student also
revoke the open links explicitly (``revoke_engagement_links``, ``revoke_links_for_student``)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select, update
from sqlalchemy.orm import joinedload

from internships.models import Listing
from lti_tool.actor import Actor
from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.models import utcnow

from ..work.models import (
    LINK_OPEN_STATUSES,
    LINK_PURPOSES,
    Engagement,
    SupervisorLink,
    new_link_nonce,
)

# "workspace" opens the engagement's workspace page (messages, checklist, check-ins): never
# spent by a submission, it works until it expires or is revoked.
ENGAGEMENT_PURPOSES = ("confirm_hours", "evaluate", "workspace")


class LinkError(AppError):
    """A supervisor link that cannot be used; ``reason`` is expired, used, revoked, closed or
    invalid."""

    status = 410
    title = "This link can no longer be used"


@dataclass(frozen=True)
class LinkGrant:
    """What a verified link allows: one purpose on one subject of one tenant."""

    jti: str
    tenant_id: int
    purpose: str
    subject_id: int

    def actor(self, name: str = "") -> Actor:
        """The supervisor behind the link, in its tenant (``name``: as they signed)."""
        who = f"supervisor link {self.jti[:8]} ({self.purpose}){' ' + name if name else ''}"
        return Actor.link(self.tenant_id, who)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"career-credit.supervisor.{purpose}"
    )


def max_age_seconds() -> int:
    days = current_app.config["SUPERVISOR_LINK_MAX_AGE_DAYS"]
    return int(float(days) * 86400)


def _same_email(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def issue_link(actor: Actor, purpose: str, subject_id: int, email: str) -> str:
    """A new signed token for ``purpose`` on ``subject_id`` in the actor's tenant, recorded so
    it can be used once.

    For an engagement the row records the engagement's nonce and student, and ``email``
    defaults to its supervisor's; a link for an engagement that does not exist never opens."""
    tenant_id = actor.tenant
    nonce: str | None = None
    student_id: int | None = None
    if purpose in ENGAGEMENT_PURPOSES:
        engagement = db.session.scalar(
            select(Engagement).where(Engagement.id == subject_id, Engagement.tenant_id == tenant_id)
        )
        if engagement is not None:
            if engagement.link_nonce is None:  # a bulk-inserted row: give it one now
                engagement.link_nonce = new_link_nonce()
            nonce, student_id = engagement.link_nonce, engagement.student_id
            email = email or engagement.supervisor_email
    jti = secrets.token_urlsafe(24)
    db.session.add(
        SupervisorLink(
            jti=jti,
            tenant_id=tenant_id,
            purpose=purpose,
            subject_id=subject_id,
            subject_nonce=nonce,
            student_id=student_id,
            email=email[:320],
            issued_by=actor.name,
            expires_at=utcnow() + dt.timedelta(seconds=max_age_seconds()),
        )
    )
    db.session.flush()
    return _serializer(purpose).dumps({"j": jti, "t": tenant_id, "s": subject_id})


def issue_links(
    actor: Actor, purpose: str, targets: Sequence[tuple[int, str, int, str]]
) -> list[str]:
    """``issue_link`` for many engagements of the actor's tenant at once (the workspace's
    reminders): one INSERT per call. ``targets``: (engagement id, its ``link_nonce``, its
    student, the supervisor's email) as read with the engagement. The tokens, in order."""
    if purpose not in ENGAGEMENT_PURPOSES:
        raise ValueError(f"{purpose!r} is not an engagement link")
    serializer, tenant_id = _serializer(purpose), actor.tenant
    expires = utcnow() + dt.timedelta(seconds=max_age_seconds())
    rows, tokens = [], []
    for subject_id, nonce, student_id, email in targets:
        jti = secrets.token_urlsafe(24)
        rows.append(
            {
                "jti": jti,
                "tenant_id": tenant_id,
                "purpose": purpose,
                "subject_id": subject_id,
                "subject_nonce": nonce,
                "student_id": student_id,
                "email": email[:320],
                "issued_by": actor.name,
                "expires_at": expires,
            }
        )
        tokens.append(serializer.dumps({"j": jti, "t": tenant_id, "s": subject_id}))
    if rows:
        db.session.execute(insert(SupervisorLink), rows)
    return tokens


def _verified_row(token: str, purpose: str, *, for_update: bool) -> SupervisorLink:
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
    if row.revoked_at is not None:
        raise LinkError(REVOKED_MESSAGES.get(row.revoked_reason or "", REVOKED), reason="revoked")
    if row.expires_at <= utcnow():
        raise LinkError("This link has expired.", reason="expired")
    return row


def _grant(row: SupervisorLink) -> LinkGrant:
    return LinkGrant(row.jti, row.tenant_id, row.purpose, row.subject_id)


def verify_link(token: str, purpose: str, *, for_update: bool = False) -> LinkGrant:
    """The grant of a valid, unexpired, unused, unrevoked token for ``purpose``, else
    LinkError. Pages use ``open_engagement_link``/``open_listing_link``, which also check
    that the subject is still the one the link was issued for."""
    return _grant(_verified_row(token, purpose, for_update=for_update))


def open_engagement_link(
    token: str, purpose: str, *, for_update: bool = False
) -> tuple[LinkGrant, Engagement]:
    """The grant and the engagement of a valid link, if the engagement is still the one it was
    issued for (same nonce and student), still names the supervisor it was sent to, and is
    still open; else LinkError."""
    if purpose not in ENGAGEMENT_PURPOSES:
        raise ValueError(f"{purpose!r} is not an engagement link")
    row = _verified_row(token, purpose, for_update=for_update)
    engagement = db.session.scalar(
        select(Engagement)
        .options(joinedload(Engagement.listing), joinedload(Engagement.student))
        .where(Engagement.id == row.subject_id, Engagement.tenant_id == row.tenant_id)
    )
    if (
        engagement is None
        or row.subject_nonce is None
        or engagement.link_nonce != row.subject_nonce
        or engagement.student_id != row.student_id
    ):
        raise LinkError(REVOKED_MESSAGES["gone"], reason="revoked")
    if not _same_email(engagement.supervisor_email, row.email):
        raise LinkError(REVOKED_MESSAGES["supervisor_changed"], reason="revoked")
    if engagement.status not in LINK_OPEN_STATUSES:
        raise LinkError(
            f"This internship is {engagement.status}, so its links are closed.", reason="closed"
        )
    return _grant(row), engagement


def open_listing_link(token: str, *, for_update: bool = False) -> tuple[LinkGrant, Listing]:
    """The grant and the listing of a valid selection link; a listing created after the link
    (an id reused after a deletion) is never its subject."""
    row = _verified_row(token, "select_applicants", for_update=for_update)
    listing = db.session.scalar(
        select(Listing).where(Listing.id == row.subject_id, Listing.tenant_id == row.tenant_id)
    )
    if listing is None or listing.created_at > row.created_at:
        raise LinkError(REVOKED_MESSAGES["gone"], reason="revoked")
    return _grant(row), listing


REVOKED = "The career center withdrew this link."
REVOKED_MESSAGES = {
    "gone": "This link no longer works: what it was sent for no longer exists.",
    "supervisor_changed": "This link was sent to a supervisor the internship no longer names.",
    "closed": "The internship this link was sent for is finished or canceled.",
    "student_erased": "This link no longer works: what it was sent for no longer exists.",
}


def _revoke(reason: str, *where: object) -> int:
    result = db.session.execute(
        update(SupervisorLink)
        .where(
            SupervisorLink.used_at.is_(None),
            SupervisorLink.revoked_at.is_(None),
            *where,  # type: ignore[arg-type]
        )
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_engagement_links(tenant_id: int, engagement_id: int, reason: str) -> int:
    """Revoke every open link of an engagement (new supervisor, engagement closed); returns
    how many. Flushes nothing else; the caller commits."""
    return _revoke(
        reason,
        SupervisorLink.tenant_id == tenant_id,
        SupervisorLink.purpose.in_(ENGAGEMENT_PURPOSES),
        SupervisorLink.subject_id == engagement_id,
    )


def revoke_links_for_student(tenant_id: int, user_id: int) -> int:
    """Revoke every open supervisor link issued about a student (erasure, pseudonymisation),
    whichever engagement it names; returns how many."""
    engagement_ids = select(Engagement.id).where(
        Engagement.tenant_id == tenant_id, Engagement.student_id == user_id
    )
    return _revoke(
        "student_erased",
        SupervisorLink.tenant_id == tenant_id,
        SupervisorLink.purpose.in_(ENGAGEMENT_PURPOSES),
        (SupervisorLink.student_id == user_id) | SupervisorLink.subject_id.in_(engagement_ids),
    )


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
