"""The engagement page's rows of which an engagement has at most one, read in one statement
(issue 16): the reflection, the supervisor's evaluation with its ratings, the employer's
offer, the pay row with its overdue notices, and the checklist templates (the listing's and
the tenant's default). Each is kept as what its own read returns once per transaction
(``work.services.reads``), so the page and its panels find them without a statement each."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import aliased, joinedload

from lti_tool.extensions import db

from ..employers.pay.models import EngagementPay
from ..employers.pay.services.figures import basis_from, overdue_counts
from ..employers.portal.models import EngagementOffer
from ..work.models import Engagement, Reflection, SupervisorEvaluation
from ..work.services.reads import keep
from .plan.models import ChecklistTemplate
from .plan.services.checklists import default_items


@functools.cache
def _statement() -> Any:
    """The rows from one row, each joined by tenant and engagement (the templates by tenant
    and listing), built once: a request binds ``tenant_id``, ``engagement_id`` and
    ``listing_id``."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    listing_id: Any = bindparam("listing_id")
    listing_template = aliased(ChecklistTemplate)
    default_template = aliased(ChecklistTemplate)
    one_row = select(literal(1).label("one")).subquery()
    stmt = select(
        Reflection,
        SupervisorEvaluation,
        EngagementOffer,
        EngagementPay,
        *overdue_counts(tenant_id, engagement_id),
        listing_template,
        default_template,
    ).select_from(one_row)
    for model in (Reflection, SupervisorEvaluation, EngagementOffer, EngagementPay):
        stmt = stmt.outerjoin(
            model, (model.tenant_id == tenant_id) & (model.engagement_id == engagement_id)
        )
    return (
        stmt.outerjoin(
            listing_template,
            (listing_template.tenant_id == tenant_id) & (listing_template.listing_id == listing_id),
        )
        .outerjoin(
            default_template,
            (default_template.tenant_id == tenant_id) & default_template.listing_id.is_(None),
        )
        .options(joinedload(SupervisorEvaluation.ratings))
    )


def read_page_rows(engagement: Engagement) -> None:
    """Read the engagement's single rows in one statement and keep each for its own read."""
    params = {
        "tenant_id": engagement.tenant_id,
        "engagement_id": engagement.id,
        "listing_id": engagement.listing_id,
    }
    row = db.session.execute(_statement(), params).unique().one()
    reflection, evaluation, offer, pay, notices, uncleared, listing_template, default = row
    keep("reflection", engagement, reflection)
    keep("evaluation", engagement, evaluation)
    keep("offer", engagement, offer)
    keep("pay_basis", engagement, basis_from(engagement, pay, notices, uncleared))
    template = listing_template or default
    items = list(template.items) if template is not None else default_items()
    keep("checklist_template", engagement, items)
