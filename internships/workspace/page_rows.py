"""The engagement page's engagement and its rows of which it has at most one, read in one
statement (issue 16): the reflection, the supervisor's evaluation with its ratings, the
employer's offer, the pay row with its overdue notices, and the checklist templates (the
listing's and the tenant's default). Each is kept as what its own read returns once per transaction
(``work.services.reads``), so the page and its panels find them without a statement each."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased, joinedload

from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import Course, User

from ..employers.pay.models import EngagementPay
from ..employers.pay.services.figures import basis_from, overdue_counts
from ..employers.portal.models import EngagementOffer
from ..models import Employer, Listing
from ..work.models import Engagement, Reflection, SupervisorEvaluation
from ..work.services.access import visible
from ..work.services.reads import keep
from .plan.models import ChecklistTemplate
from .plan.services.checklists import default_items


def _page_loads() -> tuple[Any, ...]:
    """The listing, employer, student and course with the columns the page and its panels
    show (the rest load on first use): the statement stays short enough for psycopg to keep
    its parse, and a request builds a third of the columns it did."""
    return (
        joinedload(Engagement.listing)
        .load_only(*SHOWN_LISTING)
        .joinedload(Listing.employer)
        .load_only(Employer.name),
        joinedload(Engagement.student).load_only(User.name, User.email),
        joinedload(Engagement.course).load_only(Course.title),
    )


SHOWN_LISTING = (
    Listing.tenant_id,
    Listing.employer_id,
    Listing.title,
    Listing.estimated_hours,
    Listing.compensation_type,
    Listing.pay_amount_cents,
    Listing.currency,
)


@functools.cache
def _statement() -> Any:
    """The engagement with what its pages show (``_page_loads``) and its single rows, each
    joined by tenant and engagement (the templates by tenant and listing), built once: a
    request binds ``tenant_id`` and ``engagement_id``. Short table aliases keep the statement
    under psycopg's 4,096 characters (the parse it keeps)."""
    tenant_id: Any = bindparam("tenant_id")
    reflection = aliased(Reflection, name="r")
    evaluation = aliased(SupervisorEvaluation, name="v")
    offer = aliased(EngagementOffer, name="o")
    pay = aliased(EngagementPay, name="p")
    listing_template = aliased(ChecklistTemplate, name="lt")
    default_template = aliased(ChecklistTemplate, name="dt")
    stmt = select(
        Engagement,
        reflection,
        evaluation,
        offer,
        pay,
        *overdue_counts(tenant_id, Engagement.id),
        listing_template,
        default_template,
    )
    for model in (reflection, evaluation, offer, pay):
        stmt = stmt.outerjoin(
            model, (model.tenant_id == tenant_id) & (model.engagement_id == Engagement.id)
        )
    return (
        stmt.outerjoin(
            listing_template,
            (listing_template.tenant_id == tenant_id)
            & (listing_template.listing_id == Engagement.listing_id),
        )
        .outerjoin(
            default_template,
            (default_template.tenant_id == tenant_id) & default_template.listing_id.is_(None),
        )
        .options(*_page_loads(), joinedload(evaluation.ratings))
        .where(Engagement.id == bindparam("engagement_id"), Engagement.tenant_id == tenant_id)
    )


def page_engagement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    """The engagement the launch may see (``get_engagement``), its single rows read in the
    same statement and kept for their own reads."""
    params = {"tenant_id": ctx.tenant_id, "engagement_id": engagement_id}
    found = db.session.execute(_statement(), params).unique().one_or_none()
    row = tuple(found) if found is not None else (None,) * 9
    engagement = visible(ctx, row[0])
    _, reflection, evaluation, offer, pay, notices, uncleared, listing_template, default = row
    keep("reflection", engagement, reflection)
    keep("evaluation", engagement, evaluation)
    keep("offer", engagement, offer)
    keep("pay_basis", engagement, basis_from(engagement, pay, notices, uncleared))
    template = listing_template or default
    items = list(template.items) if template is not None else default_items()
    keep("checklist_template", engagement, items)
    return engagement
