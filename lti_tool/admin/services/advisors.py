"""Who is a career advisor at a tenant, and the explicit grants an administrator makes.

A person is an advisor in two ways (``lti_tool.roles``): an explicit grant (``AdvisorGrant``,
listed with who granted it and when), or the tenant's claim rule (a custom claim name and
value the LMS sends), applied at each launch. A launch the rule decided keeps its person in
``AdvisorClaimSeen`` (``lti_tool.lti.launches``) with the claim and the time, so the people
the rule (as it is now) made advisors are listed however long ago they launched.

Reads take the tenant id; changes take the ``Actor`` first and act in its tenant. Changes are
audited and flushed, and the caller commits once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select

from ...actor import Actor
from ...errors import NotFoundError, PolicyViolationError
from ...extensions import db
from ...models import AdvisorClaimSeen, AdvisorGrant, Launch, User
from ...paging import Page, contains_text, paginate
from ...services import audit
from ...services.identities import lms_names
from ...tenants import get_tenant
from . import end_launches

SEARCH_MIN = 2  # characters: fewer would match most of a university
SEARCH_MAX = 200
PER_PAGE = 20


@dataclass(frozen=True)
class Person:
    """A search result: the person, which LMS they come from, and whether a grant exists."""

    user: User
    lms: str
    grant_id: int | None


@dataclass(frozen=True)
class ClaimAdvisor:
    """A person the claim rule made an advisor, with their latest kept advisor launch."""

    user: User
    lms: str
    last_launch_at: dt.datetime
    granted: bool


@dataclass(frozen=True)
class ClaimRule:
    name: str
    value: str
    placements: tuple[str, ...] = ()  # resource link ids where the rule applies in a course


def clean_query(text: str | None) -> str:
    """A search as typed, with runs of spaces made one and cut to ``SEARCH_MAX`` characters."""
    return " ".join((text or "").split())[:SEARCH_MAX]


def search_people(tenant_id: int, text: str, page: int = 1) -> Page[Person]:
    """People of the tenant whose name or email contains ``text`` (ignoring case; ``%`` and
    ``_`` match themselves), by name, in pages of ``PER_PAGE``. ``text`` has at least
    ``SEARCH_MIN`` characters (the caller checks and says so)."""
    statement = (
        select(User)
        .where(
            User.tenant_id == tenant_id,
            or_(contains_text(User.name, text), contains_text(User.email, text)),
        )
        .order_by(User.name, User.email, User.id)
    )
    found = paginate(statement, page, PER_PAGE)
    ids = [u.id for u in found.items]
    grants = dict(
        db.session.execute(
            select(AdvisorGrant.user_id, AdvisorGrant.id).where(
                AdvisorGrant.tenant_id == tenant_id, AdvisorGrant.user_id.in_(ids)
            )
        ).all()
    )
    names = lms_names(tenant_id)
    items = [Person(u, names.get(u.issuer, u.issuer), grants.get(u.id)) for u in found.items]
    return Page(items, found.page, found.per_page, found.total)


def list_advisor_grants(tenant_id: int) -> list[tuple[AdvisorGrant, User]]:
    """Advisor grants of the tenant with the person each names."""
    rows = db.session.execute(
        select(AdvisorGrant, User)
        .join(User, User.id == AdvisorGrant.user_id)
        .where(AdvisorGrant.tenant_id == tenant_id, User.tenant_id == tenant_id)
        .order_by(User.name, User.email, User.id)
    ).all()
    return [(grant, user) for grant, user in rows]


def claim_rule(tenant_id: int) -> ClaimRule | None:
    """The tenant's advisor claim rule, if it has one."""
    rule = (get_tenant(tenant_id).settings or {}).get("advisor_claim") or {}
    if not isinstance(rule, Mapping) or not rule.get("name"):
        return None
    links = rule.get("resource_links")
    placements = tuple(str(p) for p in links) if isinstance(links, list | tuple) else ()
    return ClaimRule(str(rule["name"]), str(rule.get("value") or ""), placements)


def claim_rule_advisors(tenant_id: int) -> list[ClaimAdvisor]:
    """Everyone the claim rule (its name and value as they are now) made a career advisor at a
    launch, by name, with their latest such launch (``advisor_claim_seen``, kept at each
    launch the rule decided); empty when the tenant has no rule."""
    rule = claim_rule(tenant_id)
    if rule is None:
        return []
    rows = db.session.execute(
        select(User, AdvisorClaimSeen.last_launch_at, AdvisorGrant.id)
        .join(AdvisorClaimSeen, AdvisorClaimSeen.user_id == User.id)
        .outerjoin(
            AdvisorGrant,
            (AdvisorGrant.user_id == User.id) & (AdvisorGrant.tenant_id == tenant_id),
        )
        .where(
            AdvisorClaimSeen.tenant_id == tenant_id,
            User.tenant_id == tenant_id,
            AdvisorClaimSeen.claim_name == rule.name,
            AdvisorClaimSeen.claim_value == rule.value,
        )
        .order_by(User.name, User.email, User.id)
    ).all()
    names = lms_names(tenant_id)
    return [
        ClaimAdvisor(u, names.get(u.issuer, u.issuer), seen, grant_id is not None)
        for u, seen, grant_id in rows
    ]


def grant_advisor(actor: Actor, user_id: int) -> AdvisorGrant:
    """Grant the career-advisor role to a person of the tenant (from their next launch)."""
    tenant_id = actor.tenant
    user = db.session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFoundError(
            "That person is not known at your institution: they must open "
            "Career Credit from the LMS once first."
        )
    exists = db.session.scalar(
        select(AdvisorGrant.id).where(
            AdvisorGrant.tenant_id == tenant_id, AdvisorGrant.user_id == user_id
        )
    )
    if exists is not None:
        raise PolicyViolationError(f"{user.name or user.email} is already a career advisor.")
    grant = AdvisorGrant(tenant_id=tenant_id, user_id=user.id, granted_by=actor.name)
    db.session.add(grant)
    audit.record(actor, "advisor.grant", user_id=user.id, name=user.name, email=user.email)
    db.session.flush()
    return grant


def revoke_advisor(actor: Actor, grant_id: int) -> None:
    """Remove an advisor grant of the tenant (effective from the person's next launch)."""
    tenant_id = actor.tenant
    row = db.session.execute(
        select(AdvisorGrant, User)
        .join(User, User.id == AdvisorGrant.user_id)
        .where(AdvisorGrant.id == grant_id, AdvisorGrant.tenant_id == tenant_id)
    ).first()
    if row is None:
        raise NotFoundError("There is no such advisor grant at your institution.")
    grant, user = row
    # The person's open advisor launches end now, not when they expire.
    ended = end_launches(tenant_id, Launch.user_id == user.id, Launch.role == "advisor")
    audit.record(
        actor,
        "advisor.revoke",
        user_id=user.id,
        name=user.name,
        email=user.email,
        launches_ended=ended,
    )
    db.session.delete(grant)
    db.session.flush()
