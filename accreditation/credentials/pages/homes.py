"""What the credentials show on other pages: the student's home panel (their credentials and
portfolio), the advisor's home panel (the institution's figures), and the line the credit
review page shows under an engagement ("Credential issued on … · view")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, func, select

from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import utcnow

from ..models import Credential
from . import mine
from .cards import card_of
from .models import Portfolio

RECENT_DAYS = 30


def student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home panel: how many valid credentials they hold, the title of the latest,
    their portfolio's state (one statement)."""
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    count, latest, published = db.session.execute(_STUDENT_PANEL, params).one()
    return {
        "count": int(count or 0),
        "latest_title": card_of(latest or {}).title if count else None,
        "published": bool(published),
    }


def _student_panel_statement() -> Any:
    """``student_panel``'s statement (parameters ``tenant_id``, ``student_id``): the student's
    valid achievements (``my_credentials``' order: newest first), and whether their portfolio
    is published (its token and the token's hash are set and forgotten together)."""
    tenant: Any = bindparam("tenant_id")
    student: Any = bindparam("student_id")
    valid = (
        Credential.tenant_id == tenant,
        Credential.student_id == student,
        Credential.kind == "achievement",
        Credential.revoked_at.is_(None),
    )
    newest = (
        select(Credential.document)
        .where(*valid)
        .order_by(Credential.issued_at.desc(), Credential.id.desc())
        .limit(1)
    )
    published = select(func.count()).where(
        Portfolio.tenant_id == tenant,
        Portfolio.student_id == student,
        Portfolio.token_hash.is_not(None),
    )
    return select(
        select(func.count()).where(*valid).scalar_subquery(),
        newest.scalar_subquery(),
        published.scalar_subquery(),
    )


_STUDENT_PANEL = _student_panel_statement()  # built once: building it cost more than running it


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: the institution's credential figures, all time and issued in
    the last 30 days (issuance's counts, one statement)."""
    from ..issuance.services import issuance_counts

    since = utcnow() - dt.timedelta(days=RECENT_DAYS)
    return {
        "counts": issuance_counts(ctx.tenant_id, since=since),
        "days": RECENT_DAYS,
    }


def review_credentials(tenant_id: int, engagement_ids: list[int]) -> dict[int, Any]:
    """The valid credential of each engagement on the credit review page (a template global,
    called by ``credentials/_review_credential.html``)."""
    return mine.engagement_credentials(tenant_id, engagement_ids)


def award_credential(tenant_id: int, award_id: int) -> Any:
    """The valid credential of a credit award, or None (a template global, called by
    ``credentials/_award_credential.html`` on the credit review page)."""
    from ..issuance.services import credential_for_award

    return credential_for_award(tenant_id, award_id)
