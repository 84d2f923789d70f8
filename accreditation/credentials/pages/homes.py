"""What the credentials show on other pages: the student's home panel (their credentials and
portfolio), the advisor's home panel (the institution's figures), and the line the credit
review page shows under an engagement ("Credential issued on … · view")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lti_tool.context import LaunchContext
from lti_tool.models import utcnow

from ...student_home import student_home_reads
from . import mine

RECENT_DAYS = 30


def student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home panel: how many valid credentials they hold, the title of the latest,
    their portfolio's state (read with the report panel's share: ``student_home``)."""
    reads = student_home_reads(ctx)
    return {
        "count": reads.credentials,
        "latest_title": reads.latest_title,
        "published": reads.published,
    }


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: the institution's credential figures, all time and issued in
    the last 30 days (issuance's counts, one statement)."""
    from ..issuance.services import issuance_counts

    since = utcnow() - dt.timedelta(days=RECENT_DAYS)
    return {
        "counts": issuance_counts(ctx.tenant_id, since=since),
        "days": RECENT_DAYS,
    }


def review_credentials(
    tenant_id: int, engagement_ids: list[int], award_id: int | None = None
) -> mine.ReviewCredentials:
    """The credentials the credit review page shows, in one read: each engagement's valid
    achievement credential and the current award's (a template global, called by
    ``credit/review.html`` for ``credentials/_review_credential.html`` and
    ``credentials/_award_credential.html``)."""
    return mine.review_credentials(tenant_id, engagement_ids, award_id)
