"""Identities per LMS and the links an administrator makes between them.

A person is known by (tenant, issuer, sub): two LMSs of one institution that send the same
``sub`` are two people to the tool. When one person really has an identity in each, a tool
administrator of the tenant may link the secondary identity to a primary one: the secondary's
launches *without a course* then act as the primary user (her profile, résumé, applications,
engagements, advisor grant). Inside a course each identity stays its own, because enrolments,
rosters and grades must name the user id that course's LMS knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..actor import Actor
from ..errors import NotFoundError, PolicyViolationError
from ..extensions import db
from ..models import IdentityLink, Registration, User
from . import audit


@dataclass(frozen=True)
class Match:
    """Identities of one tenant, in different LMSs, that share an email address."""

    email: str
    identities: list[User]


@dataclass(frozen=True)
class LinkRow:
    """A link as shown to the administrator."""

    link: IdentityLink
    secondary: User
    primary: User | None


def lms_names(tenant_id: int) -> dict[str, str]:
    """Issuer → the names of the tenant's registrations with that issuer (for display)."""
    names: dict[str, list[str]] = {}
    for issuer, name in db.session.execute(
        select(Registration.issuer, Registration.name)
        .where(Registration.tenant_id == tenant_id)
        .order_by(Registration.id)
    ):
        names.setdefault(issuer, []).append(name)
    return {issuer: ", ".join(n) for issuer, n in names.items()}


def possible_matches(tenant_id: int, limit: int = 200) -> list[Match]:
    """Emails that identities of more than one LMS of the tenant share (case-insensitive)."""
    email = func.lower(User.email)
    shared = (
        select(email.label("email"))
        .where(User.tenant_id == tenant_id, User.email != "")
        .group_by(email)
        .having(func.count(func.distinct(User.issuer)) > 1)
        .order_by(email)
        .limit(limit)
        .subquery()
    )
    people = db.session.scalars(
        select(User)
        .join(shared, shared.c.email == func.lower(User.email))
        .where(User.tenant_id == tenant_id)
        .order_by(func.lower(User.email), User.issuer, User.id)
    ).all()
    matches: dict[str, list[User]] = {}
    for person in people:
        matches.setdefault(person.email.lower(), []).append(person)
    return [Match(e, ids) for e, ids in matches.items()]


def list_links(tenant_id: int) -> list[LinkRow]:
    """The tenant's identity links, newest first."""
    secondary, primary = aliased(User), aliased(User)
    rows = db.session.execute(
        select(IdentityLink, secondary, primary)
        .join(secondary, secondary.id == IdentityLink.user_id)
        .outerjoin(primary, primary.id == IdentityLink.primary_user_id)
        .where(IdentityLink.tenant_id == tenant_id)
        .order_by(IdentityLink.created_at.desc(), IdentityLink.id.desc())
    ).all()
    return [LinkRow(link, sec, prim) for link, sec, prim in rows]


def _identity(tenant_id: int, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFoundError("There is no such person at your institution.")
    return user


def link_identities(actor: Actor, secondary_id: int, primary_id: int) -> IdentityLink:
    """Make the secondary identity's course-less launches act as the primary user. Both must
    be identities of the actor's tenant from different LMSs, and links do not chain. Audited;
    flushes."""
    tenant_id = actor.tenant
    secondary = _identity(tenant_id, secondary_id)
    primary = _identity(tenant_id, primary_id)
    if secondary.id == primary.id or secondary.issuer == primary.issuer:
        raise PolicyViolationError(
            "Only identities from two different LMSs can be linked.", reason="same_lms"
        )
    taken = db.session.scalar(
        select(IdentityLink).where(
            IdentityLink.tenant_id == tenant_id,
            (IdentityLink.user_id.in_([secondary.id, primary.id]))
            | (IdentityLink.primary_user_id == secondary.id),
        )
    )
    if taken is not None:
        raise PolicyViolationError(
            "One of these identities is already linked: unlink it first (links do not chain).",
            reason="already_linked",
        )
    link = IdentityLink(
        tenant_id=tenant_id, user_id=secondary.id, primary_user_id=primary.id, linked_by=actor.name
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        actor,
        "identity.link",
        user_id=secondary.id,
        issuer=secondary.issuer,
        primary_user_id=primary.id,
        primary_issuer=primary.issuer,
        email=secondary.email,
    )
    return link


def unlink_identity(actor: Actor, link_id: int) -> None:
    """Remove a link of the actor's tenant: from the next launch the identity is its own
    again."""
    link = db.session.get(IdentityLink, link_id)
    if link is None or link.tenant_id != actor.tenant:
        raise NotFoundError("There is no such identity link at your institution.")
    audit.record(
        actor,
        "identity.unlink",
        user_id=link.user_id,
        primary_user_id=link.primary_user_id,
    )
    db.session.delete(link)
    db.session.flush()
