"""The tenant's career advisors, to tell them of pay problems (overdue payments, disputes)."""

from __future__ import annotations

from lti_tool.admin.services.advisors import claim_rule_advisors, list_advisor_grants
from lti_tool.notify.notifications import notify


def advisor_ids(tenant_id: int) -> list[int]:
    """Everyone who is a career advisor at the tenant: by an explicit grant, or by the claim
    rule at a launch."""
    ids = [user.id for _, user in list_advisor_grants(tenant_id)]
    ids += [found.user.id for found in claim_rule_advisors(tenant_id)]
    return list(dict.fromkeys(ids))


def notify_advisors(
    tenant_id: int, kind: str, message: str, *, engagement_id: int | None = None
) -> int:
    """An in-app notice (and its email copy) to each of the tenant's advisors; how many."""
    ids = advisor_ids(tenant_id)
    for user_id in ids:
        notify(tenant_id, user_id, kind, message, engagement_id=engagement_id)
    return len(ids)
