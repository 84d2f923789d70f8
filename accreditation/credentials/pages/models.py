"""Models of the credentials' pages: the student's portfolio (a page they publish at a random,
revocable address), the projects they chose for it, and the supervisor's consent to show their
evaluation's comments there as a recommendation.

Every row carries its tenant. A portfolio is its student's (``student_id``); its projects and
the consent are chained to a person through their engagement, so export and erasure find them
from the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.crypto import EncryptedText
from lti_tool.extensions import Model
from lti_tool.models import utcnow


class Portfolio(Model):
    """A student's portfolio. ``token`` is the public address while published (None while
    not), kept encrypted so its student can be shown it again; pages find a portfolio by
    ``token_hash`` (SHA-256). Revoking forgets both, so the old address answers 404;
    publishing again makes a new one."""

    __tablename__ = "portfolio"
    __table_args__ = (UniqueConstraint("tenant_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    headline: Mapped[str] = mapped_column(String(200), default="")
    introduction: Mapped[str] = mapped_column(Text, default="")
    token: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    projects: Mapped[list[PortfolioProject]] = relationship(
        back_populates="portfolio",
        cascade="all, delete-orphan",
        order_by="PortfolioProject.id",
    )


class PortfolioProject(Model):
    """One project (an engagement of the student) shown in the portfolio, with what of it:
    the deliverables chosen (ids), its credential, the supervisor's recommendation (shown only
    while the supervisor agrees too)."""

    __tablename__ = "portfolio_project"
    __table_args__ = (UniqueConstraint("portfolio_id", "engagement_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    portfolio_id: Mapped[int] = mapped_column(
        ForeignKey("portfolio.id", ondelete="CASCADE"), index=True
    )
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    deliverable_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    show_credential: Mapped[bool] = mapped_column(default=True)
    show_recommendation: Mapped[bool] = mapped_column(default=False)

    portfolio: Mapped[Portfolio] = relationship(back_populates="projects")


class RecommendationConsent(Model):
    """The supervisor's answer to "share my evaluation comments as a recommendation in the
    student's portfolio" (changeable: the latest answer counts)."""

    __tablename__ = "recommendation_consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    agreed: Mapped[bool] = mapped_column(default=False)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
