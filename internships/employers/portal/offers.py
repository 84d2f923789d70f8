"""The hiring pipeline's first step: after the final evaluation the supervisor answers "would
you hire or offer further work?" and may record an offer (an internship, a part-time or
full-time job, a further micro-internship); the student confirms or declines it. The career
center's employer figures count them (``accreditation.reports.employer_figures``)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select

from internships.work.models import Engagement
from internships.work.services.evaluations import evaluation_of
from lti_tool.actor import Actor
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from .models import OFFER_KINDS, EngagementOffer

MAX_DETAILS = 2000


class OfferInvalidError(PolicyViolationError):
    """An answer's field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


@functools.cache
def _offer_statement() -> Any:
    """An engagement's offer row, built once (every engagement page reads it)."""
    return select(EngagementOffer).where(
        EngagementOffer.tenant_id == bindparam("tenant_id"),
        EngagementOffer.engagement_id == bindparam("engagement_id"),
    )


def offer_of(tenant_id: int, engagement_id: int) -> EngagementOffer | None:
    """The engagement's answer and offer, if the supervisor gave one."""
    params = {"tenant_id": tenant_id, "engagement_id": engagement_id}
    return db.session.scalar(_offer_statement(), params)


def _check_answer(actor: Actor, engagement: Engagement, would_hire: bool | None, kind: str) -> None:
    if engagement.tenant_id != actor.tenant:
        raise ForbiddenError("That project is not of your institution.", reason="tenant")
    if engagement.status == "cancelled":
        raise PolicyViolationError("This project was canceled.", reason="cancelled")
    if evaluation_of(engagement) is None:
        raise PolicyViolationError(
            "Answer after your final evaluation of the student.", reason="not_evaluated"
        )
    if would_hire is None:
        raise OfferInvalidError("would_hire", "Answer yes or no.")
    if kind and kind not in OFFER_KINDS:
        raise OfferInvalidError("kind", "Choose one of the kinds of offer listed.")
    if kind and not would_hire:
        raise OfferInvalidError("kind", "An offer goes with a yes: answer yes, or choose no offer.")


def answer(
    actor: Actor, engagement: Engagement, would_hire: bool | None, kind: str, details: str
) -> EngagementOffer:
    """The supervisor's answer, with an offer when ``kind`` names one. Given once; an answer
    without an offer may gain one later (while the engagement is not canceled)."""
    _check_answer(actor, engagement, would_hire, kind)
    row = offer_of(actor.tenant, engagement.id)
    if row is not None and (row.status != "no_offer" or not kind):
        raise PolicyViolationError("Your answer is recorded already.", reason="answered")
    if row is None:
        row = EngagementOffer(
            tenant_id=actor.tenant,
            engagement_id=engagement.id,
            student_id=engagement.student_id,
            employer_id=engagement.listing.employer_id,
        )
        db.session.add(row)
    row.would_hire, row.answered_by, row.answered_at = bool(would_hire), actor.name, utcnow()
    row.details = details.strip()[:MAX_DETAILS]
    if kind:
        row.kind, row.status, row.offered_at = kind, "offered", utcnow()
    db.session.flush()
    audit.record(
        actor, "offer.answer", engagement_id=engagement.id, would_hire=row.would_hire, kind=kind
    )
    if kind:
        notify(
            actor.tenant,
            engagement.student_id,
            "offer_received",
            f"{engagement.listing.employer.name} offers you: {OFFER_KINDS[kind].lower()}. "
            "Confirm or decline it on the project's page.",
            engagement_id=engagement.id,
        )
    return row


def decide(actor: Actor, engagement: Engagement, accepted: bool) -> EngagementOffer:
    """The student confirms (accepts) or declines the offer made to them."""
    if engagement.tenant_id != actor.tenant or engagement.student_id != actor.user_id:
        raise ForbiddenError("Only the student the offer is for may answer it.", reason="role")
    row = offer_of(actor.tenant, engagement.id)
    if row is None or row.status != "offered":
        raise PolicyViolationError("There is no offer waiting for your answer.", reason="no_offer")
    row.status, row.decided_at = ("accepted" if accepted else "declined"), utcnow()
    db.session.flush()
    audit.record(actor, f"offer.{row.status}", engagement_id=engagement.id)
    return row
