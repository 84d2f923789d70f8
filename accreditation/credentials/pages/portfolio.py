"""The student's portfolio: the projects they choose (their engagements), with the
deliverables, credential and supervisor's recommendation they choose to show, published at a
random address they can revoke (the old address then answers 404) and make again.

A recommendation shows only while both agree: the student chose it and the supervisor said yes
(``recommendation``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from internships.models import Listing
from internships.work.models import Deliverable, Engagement, SupervisorEvaluation
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import Credential
from .models import Portfolio, PortfolioProject
from .recommendation import consents_for

# Engagements a portfolio may show: under way or finished (a cancelled one is not a project).
SHOWN_STATUSES = ("active", "submitted", "completed")
HEADLINE_MAX = 200
INTRODUCTION_MAX = 4000


class PortfolioInvalidError(PolicyViolationError):
    """A portfolio choice cannot be kept; ``field`` names the form's field."""


@dataclass(frozen=True)
class ProjectChoice:
    """What the student chose to show of one engagement."""

    engagement_id: int
    deliverable_ids: tuple[int, ...] = ()
    show_credential: bool = True
    show_recommendation: bool = False


@dataclass
class ProjectView:
    """One project as a page shows it (the editor: every engagement; the public page: the
    chosen ones with only what was chosen)."""

    engagement: Engagement
    deliverables: list[Deliverable]
    credential: Credential | None
    recommendation: str = ""  # the evaluation's comments, when both agreed
    supervisor_agreed: bool = False
    has_comments: bool = False
    chosen: PortfolioProject | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _student(ctx: LaunchContext) -> None:
    if ctx.role != "student":
        raise ForbiddenError("Only the student edits their portfolio.", reason="role")


def portfolio_of(tenant_id: int, student_id: int) -> Portfolio | None:
    """The student's portfolio, or None before they save one."""
    return db.session.scalar(
        select(Portfolio).where(
            Portfolio.tenant_id == tenant_id, Portfolio.student_id == student_id
        )
    )


def _ensure(ctx: LaunchContext) -> Portfolio:
    portfolio = portfolio_of(ctx.tenant_id, ctx.user_id)
    if portfolio is None:
        portfolio = Portfolio(tenant_id=ctx.tenant_id, student_id=ctx.user_id)
        db.session.add(portfolio)
        db.session.flush()
    return portfolio


def _engagements(tenant_id: int, student_id: int) -> list[Engagement]:
    return list(
        db.session.scalars(
            select(Engagement)
            .join(Listing, Listing.id == Engagement.listing_id)
            .where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                Engagement.status.in_(SHOWN_STATUSES),
            )
            .order_by(Engagement.created_at.desc(), Engagement.id.desc())
        )
    )


def _deliverables(tenant_id: int, engagement_ids: list[int]) -> dict[int, list[Deliverable]]:
    out: dict[int, list[Deliverable]] = {eid: [] for eid in engagement_ids}
    if not engagement_ids:
        return out
    rows = db.session.scalars(
        select(Deliverable)
        .where(Deliverable.tenant_id == tenant_id, Deliverable.engagement_id.in_(engagement_ids))
        .order_by(Deliverable.created_at, Deliverable.id)
    )
    for row in rows:
        out[row.engagement_id].append(row)
    return out


def _credentials(tenant_id: int, engagement_ids: list[int]) -> dict[int, Credential]:
    if not engagement_ids:
        return {}
    rows = db.session.scalars(
        select(Credential).where(
            Credential.tenant_id == tenant_id,
            Credential.engagement_id.in_(engagement_ids),
            Credential.kind == "achievement",
            Credential.revoked_at.is_(None),
        )
    )
    return {int(row.engagement_id or 0): row for row in rows}


def _comments(tenant_id: int, engagement_ids: list[int]) -> dict[int, str]:
    if not engagement_ids:
        return {}
    rows = db.session.execute(
        select(SupervisorEvaluation.engagement_id, SupervisorEvaluation.comments).where(
            SupervisorEvaluation.tenant_id == tenant_id,
            SupervisorEvaluation.engagement_id.in_(engagement_ids),
        )
    )
    return {int(eid): str(text or "") for eid, text in rows}


def _views(
    tenant_id: int, engagements: list[Engagement], portfolio: Portfolio | None
) -> list[ProjectView]:
    ids = [e.id for e in engagements]
    files, credentials = _deliverables(tenant_id, ids), _credentials(tenant_id, ids)
    comments, consents = _comments(tenant_id, ids), consents_for(tenant_id, ids)
    chosen = {p.engagement_id: p for p in (portfolio.projects if portfolio else [])}
    out = []
    for engagement in engagements:
        agreed = consents.get(engagement.id, False)
        text = comments.get(engagement.id, "").strip()
        out.append(
            ProjectView(
                engagement=engagement,
                deliverables=files[engagement.id],
                credential=credentials.get(engagement.id),
                recommendation=text if agreed else "",
                supervisor_agreed=agreed,
                has_comments=bool(text),
                chosen=chosen.get(engagement.id),
            )
        )
    return out


def editor(ctx: LaunchContext) -> tuple[Portfolio | None, list[ProjectView]]:
    """The student's portfolio and every project they may show in it."""
    _student(ctx)
    portfolio = portfolio_of(ctx.tenant_id, ctx.user_id)
    return portfolio, _views(ctx.tenant_id, _engagements(ctx.tenant_id, ctx.user_id), portfolio)


def save_portfolio(
    ctx: LaunchContext, headline: str, introduction: str, choices: list[ProjectChoice]
) -> Portfolio:
    """Keep the student's words and choices (only their own engagements and those engagements'
    deliverables); nothing is kept when one choice is not theirs."""
    _student(ctx)
    if len(headline) > HEADLINE_MAX:
        raise PortfolioInvalidError(
            f"Keep the headline to {HEADLINE_MAX} characters.", field="headline"
        )
    if len(introduction) > INTRODUCTION_MAX:
        raise PortfolioInvalidError(
            f"Keep the introduction to {INTRODUCTION_MAX} characters.", field="introduction"
        )
    engagements = {e.id for e in _engagements(ctx.tenant_id, ctx.user_id)}
    files = _deliverables(ctx.tenant_id, sorted(engagements))
    for choice in choices:
        own_files = {d.id for d in files.get(choice.engagement_id, [])}
        if choice.engagement_id not in engagements or not set(choice.deliverable_ids) <= own_files:
            raise PortfolioInvalidError(
                "Choose among your own projects and their deliverables.", reason="not_yours"
            )
    portfolio = _ensure(ctx)
    portfolio.headline, portfolio.introduction = headline.strip(), introduction.strip()
    portfolio.projects = [
        PortfolioProject(
            tenant_id=ctx.tenant_id,
            engagement_id=choice.engagement_id,
            deliverable_ids=sorted(set(choice.deliverable_ids)),
            show_credential=choice.show_credential,
            show_recommendation=choice.show_recommendation,
        )
        for choice in choices
    ]
    portfolio.updated_at = utcnow()
    db.session.flush()
    return portfolio


def publish(ctx: LaunchContext) -> Portfolio:
    """Give the portfolio a new public address (a random token); an earlier one stops."""
    _student(ctx)
    portfolio = _ensure(ctx)
    portfolio.token = secrets.token_urlsafe(24)
    portfolio.token_hash = _hashed(portfolio.token)
    portfolio.published_at = utcnow()
    db.session.flush()
    audit.record(ctx.actor, "portfolio.publish", portfolio_id=portfolio.id)
    return portfolio


def unpublish(ctx: LaunchContext) -> Portfolio:
    """Revoke the public address: it answers 404 from now on."""
    _student(ctx)
    portfolio = _ensure(ctx)
    portfolio.token = portfolio.token_hash = None
    portfolio.published_at = None
    db.session.flush()
    audit.record(ctx.actor, "portfolio.unpublish", portfolio_id=portfolio.id)
    return portfolio


def published(token: str) -> Portfolio | None:
    """The portfolio published at this address, or None (never published, or revoked)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Portfolio).where(Portfolio.token_hash == _hashed(token)))


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_projects(portfolio: Portfolio) -> list[ProjectView]:
    """The chosen projects with only what was chosen of each (the public page)."""
    chosen = {p.engagement_id: p for p in portfolio.projects}
    engagements = [
        e for e in _engagements(portfolio.tenant_id, portfolio.student_id) if e.id in chosen
    ]
    out = []
    for view in _views(portfolio.tenant_id, engagements, portfolio):
        choice = chosen[view.engagement.id]
        view.deliverables = [d for d in view.deliverables if d.id in set(choice.deliverable_ids)]
        view.credential = view.credential if choice.show_credential else None
        view.recommendation = view.recommendation if choice.show_recommendation else ""
        out.append(view)
    return out


def published_file(token: str, deliverable_id: int) -> Deliverable | None:
    """A deliverable the published portfolio shows (its file, for the public page's link)."""
    portfolio = published(token)
    if portfolio is None:
        return None
    for project in portfolio.projects:
        if deliverable_id in set(project.deliverable_ids):
            return db.session.scalar(
                select(Deliverable).where(
                    Deliverable.id == deliverable_id,
                    Deliverable.tenant_id == portfolio.tenant_id,
                    Deliverable.engagement_id == project.engagement_id,
                )
            )
    return None
