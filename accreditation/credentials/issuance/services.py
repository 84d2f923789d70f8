"""The services the credential pages call: a student's credentials, their choices (evidence,
their DID, sharing), the CLR, and what faculty and advisors read.

Every query is scoped to the tenant; a student reaches only their own credentials (another
student's answer "not found", as a credential of another tenant does)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from sqlalchemy import bindparam, case, func, select

from internships.work.models import Deliverable
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.services import audit

from ..models import Credential
from . import documents, issuing
from .issuing import revoke, subject_row

# DID Core §3.1: did:<method-name>:<method-specific-id>, idchar = ALPHA / DIGIT / . - _ / %XX
DID_SYNTAX = re.compile(
    r"^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*"
    r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$"
)
MAX_DID = 2000


def _valid_first(query: Any) -> list[Credential]:
    return list(
        db.session.scalars(
            query.order_by(
                case((Credential.revoked_at.is_(None), 0), else_=1),
                Credential.issued_at.desc(),
                Credential.id.desc(),
            )
        )
    )


def credentials_of(ctx: LaunchContext, student_id: int | None = None) -> list[Credential]:
    """A student's credentials, valid first then newest first: the launch student's own, or
    (for an advisor of the tenant) any student's."""
    target = ctx.user_id if student_id is None else student_id
    if target != ctx.user_id and ctx.role != "advisor":
        raise ForbiddenError("Only the student and career advisors see a student's credentials.")
    return student_credentials(ctx.tenant_id, target)


def student_credentials(tenant_id: int, student_id: int) -> list[Credential]:
    """Read-only: a student's credentials in the tenant, valid first then newest first."""
    return _valid_first(
        select(Credential).where(
            Credential.tenant_id == tenant_id, Credential.student_id == student_id
        )
    )


def _own(tenant_id: int, user_id: int | None, credential_id: int) -> Credential:
    credential = db.session.scalar(
        select(Credential).where(
            Credential.id == credential_id,
            Credential.tenant_id == tenant_id,
            Credential.student_id == user_id,
        )
    )
    if credential is None:
        raise NotFoundError("You have no credential with that number.")
    return credential


def get_own(ctx: LaunchContext, credential_id: int) -> Credential:
    """The launch student's credential; anyone else's is "not found"."""
    return _own(ctx.tenant_id, ctx.user_id, credential_id)


def by_public_id(public_id: str) -> Credential | None:
    """The credential a share URL names (any tenant: the public verification page)."""
    if not public_id or len(public_id) > 64:
        return None
    return db.session.scalar(select(Credential).where(Credential.public_id == public_id))


def _valid_own(actor: Actor, credential_id: int) -> Credential:
    credential = _own(actor.tenant, actor.user_id, credential_id)
    if credential.revoked_at is not None:
        raise PolicyViolationError(
            "That credential was replaced or revoked.",
            hint="Choose its current version on your credentials page.",
        )
    return credential


def set_evidence(
    actor: Actor, credential_id: int, deliverable_ids: list[int], include_comment: bool
) -> Credential:
    """The student chooses the evidence of an engagement's credential (their deliverables, the
    supervisor's comment); a change revokes it and issues a new version."""
    credential = _valid_own(actor, credential_id)
    if credential.source != "engagement" or credential.engagement_id is None:
        raise PolicyViolationError("Only a micro-internship's credential carries evidence.")
    known = set(
        db.session.scalars(
            select(Deliverable.id).where(
                Deliverable.tenant_id == actor.tenant,
                Deliverable.engagement_id == credential.engagement_id,
            )
        )
    )
    chosen = sorted({int(i) for i in deliverable_ids})
    if not set(chosen) <= known:
        raise PolicyViolationError(
            "Choose deliverables of this micro-internship only.", field="deliverable_ids"
        )
    choice = {"deliverable_ids": chosen, "include_comment": bool(include_comment)}
    if choice == {
        "deliverable_ids": sorted(credential.evidence_choice.get("deliverable_ids") or []),
        "include_comment": bool(credential.evidence_choice.get("include_comment")),
    }:
        return credential
    new = issuing.issue_engagement(
        actor, credential.engagement_id, choice=choice, replaces=credential, reason="evidence"
    )
    if new is None:
        raise PolicyViolationError("The credential changed meanwhile; reload and try again.")
    audit.record(actor, "credentials.evidence", credential_id=new.id, replaces=credential.id)
    return new


def set_subject_did(actor: Actor, student_id: int, did: str) -> list[Credential]:
    """The student names their own DID (or "" to go back to their hashed email); their valid
    credentials are reissued naming it. Returns the new versions."""
    if actor.user_id != student_id:
        raise ForbiddenError("Only the student chooses how their credentials name them.")
    did = did.strip()
    if did and (len(did) > MAX_DID or not DID_SYNTAX.match(did)):
        raise PolicyViolationError(
            "That is not a DID: it looks like did:method:identifier (for example did:key:z6Mk…).",
            field="did",
        )
    row = subject_row(actor.tenant, student_id)
    if row.did == did:
        return []
    row.did = did
    db.session.flush()
    renewed = []
    for credential in student_credentials(actor.tenant, student_id):
        if credential.revoked_at is None and credential.kind == "achievement":
            new = issuing.reissue(actor, credential, "subject", quiet=True)
            if new is not None:
                renewed.append(new)
    audit.record(actor, "credentials.subject", reissued=len(renewed), did=bool(did))
    return renewed


def set_shared(actor: Actor, credential_id: int, shared: bool) -> Credential:
    """The student shows (or hides) a credential on its public verification page."""
    credential = _own(actor.tenant, actor.user_id, credential_id)
    credential.shared = bool(shared)
    db.session.flush()
    return credential


def clr_for(actor: Actor, student_id: int) -> Credential:
    """The student's CLR of every valid credential: the current one, or a new one when their
    set of valid credentials changed since it was issued."""
    if actor.user_id is not None and actor.user_id != student_id:
        raise ForbiddenError("Only the student asks for their own record.")
    tenant = issuing.tenant_of(actor.tenant)
    valid = [
        c
        for c in student_credentials(tenant.id, student_id)
        if c.revoked_at is None and c.kind == "achievement"
    ]
    if not valid:
        raise PolicyViolationError(
            "There is nothing to put in a record yet.",
            hint="A record bundles your credentials: finish a micro-internship first.",
        )
    valid.sort(key=lambda c: (c.issued_at, c.id))
    bundled = sorted(c.uuid for c in valid)
    key = f"clr:{student_id}"
    current = db.session.scalar(
        select(Credential).where(
            Credential.tenant_id == tenant.id,
            Credential.subject_key == key,
            Credential.revoked_at.is_(None),
        )
    )
    if current is not None and sorted(current.bundled or []) == bundled:
        return current
    unsigned = documents.clr_credential(
        issuing.proof.issuer_profile(tenant),
        issuing.subject_of(tenant.id, student_id),
        [c.document for c in valid],
        issuing.utcnow(),
    )
    signed, entry = issuing.sign_new(tenant, unsigned)
    new = Credential(
        tenant_id=tenant.id,
        uuid=signed["id"].removeprefix("urn:uuid:"),
        student_id=student_id,
        kind="clr",
        source="clr",
        subject_key=key,
        name=signed["name"],
        document=signed,
        status_entry=entry,
        bundled=bundled,
        shared=bool(current.shared) if current else False,
        issued_by=actor.name,
    )
    stored = issuing.store(new, current, "reissued")
    if stored is None:
        raise PolicyViolationError("Your record was just made; reload to see it.")
    return stored


def issuance_counts(tenant_id: int, since: dt.datetime | None = None) -> dict[str, int]:
    """Read-only, for advisors' reports: credentials issued, still valid, revoked, shared, and
    the students holding one; with ``since``, also ``recent``: those issued since then."""
    far_past = dt.datetime(1970, 1, 1)
    params = {"tenant_id": tenant_id, "since": since or far_past}
    row = db.session.execute(_counts_statement(), params).one()
    counts = {name: int(value or 0) for name, value in zip(COUNT_NAMES, row, strict=True)}
    if since is None:
        del counts["recent"]
    return counts


COUNT_NAMES = (
    *("issued", "valid", "revoked", "shared", "clr", "students", "engagement", "award"),
    "recent",  # issued since ``since``
)


@functools.cache
def _counts_statement() -> Any:
    """``issuance_counts``'s one statement, built once (parameters ``tenant_id``, ``since``)."""
    return select(
        func.count(Credential.id),
        func.count(case((Credential.revoked_at.is_(None), 1))),
        func.count(Credential.revoked_at),
        func.count(case((Credential.shared.is_(True), 1))),
        func.count(case((Credential.kind == "clr", 1))),
        func.count(func.distinct(Credential.student_id)),
        func.count(case((Credential.source == "engagement", 1))),
        func.count(case((Credential.source == "award", 1))),
        func.count(case((Credential.issued_at >= bindparam("since"), 1))),
    ).where(Credential.tenant_id == bindparam("tenant_id"))


def credential_for_award(tenant_id: int, award_id: int) -> Credential | None:
    """Read-only: the valid credential of a credit award (the faculty review page)."""
    return db.session.scalar(
        select(Credential).where(
            Credential.tenant_id == tenant_id,
            Credential.award_id == award_id,
            Credential.revoked_at.is_(None),
        )
    )


def credentials_for_engagement(tenant_id: int, engagement_id: int) -> list[Credential]:
    """Read-only: an engagement's credentials, valid first (the faculty review page)."""
    return _valid_first(
        select(Credential).where(
            Credential.tenant_id == tenant_id, Credential.engagement_id == engagement_id
        )
    )


def withdraw(actor: Actor, credential_id: int) -> Credential:
    """The institution withdraws a credential (an advisor or operator): revoked and never
    issued again for the same engagement or award."""
    credential = db.session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.tenant_id == actor.tenant
        )
    )
    if credential is None:
        raise NotFoundError("There is no credential with that number at your institution.")
    revoke(credential, "withdrawn")
    audit.record(actor, "credentials.withdrawn", credential_id=credential.id)
    return credential
