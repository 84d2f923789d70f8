"""What the pages read of issued credentials, each read scoped to its tenant and its reader:
the student's own (``My credentials``), a shared one by its public id (the verification page),
one a faculty member or advisor may see (the review page's line, the credential's view).
What changes a credential (evidence, DID, sharing, the CLR) is issuance's."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, or_, select

from credit.models import CreditAward
from internships.work.models import Deliverable, Engagement, SupervisorEvaluation
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db

from ..models import Credential
from .cards import Card, card_of

NOT_YOURS = "That credential does not exist or is not yours to see."


@dataclass(frozen=True)
class Issued:
    """A credential with what its document says."""

    credential: Credential
    card: Card


def _issued(rows: list[Credential]) -> list[Issued]:
    return [Issued(row, card_of(row.document or {})) for row in rows]


def my_credentials(ctx: LaunchContext) -> list[Issued]:
    """The student's credentials: the valid ones first (achievements, then the CLR), newest
    first; revoked ones after them."""
    rows = db.session.scalars(
        select(Credential)
        .where(Credential.tenant_id == ctx.tenant_id, Credential.student_id == ctx.user_id)
        .order_by(
            Credential.revoked_at.is_not(None),
            Credential.kind,
            Credential.issued_at.desc(),
            Credential.id.desc(),
        )
    )
    return _issued(list(rows))


def own_credential(ctx: LaunchContext, credential_id: int) -> Credential:
    """The student's own credential (NotFoundError for anyone else's: it never says whether
    it exists)."""
    credential = db.session.scalar(
        select(Credential).where(
            Credential.id == credential_id,
            Credential.tenant_id == ctx.tenant_id,
            Credential.student_id == ctx.user_id,
        )
    )
    if credential is None or ctx.role != "student":
        raise NotFoundError(NOT_YOURS)
    return credential


def shared_credential(public_id: str) -> Credential | None:
    """The credential its student shares at this public id; None for an unknown id and for a
    credential not shared (the same answer, so a page reveals nothing more)."""
    if not public_id or len(public_id) > 64:
        return None
    credential = db.session.scalar(select(Credential).where(Credential.public_id == public_id))
    return credential if credential is not None and credential.shared else None


def replacement_of(credential: Credential) -> Credential | None:
    """The newer credential that replaced a revoked one, when its student shares it too."""
    if credential.replaced_by_id is None:
        return None
    newer = db.session.get(Credential, credential.replaced_by_id)
    if newer is None or newer.tenant_id != credential.tenant_id or not newer.shared:
        return None
    return newer


def _course_of(credential: Credential) -> int | None:
    if credential.engagement_id is not None:
        return db.session.scalar(
            select(Engagement.course_id).where(Engagement.id == credential.engagement_id)
        )
    if credential.award_id is not None:
        return db.session.scalar(
            select(CreditAward.course_id).where(CreditAward.id == credential.award_id)
        )
    return None


def staff_credential(ctx: LaunchContext, credential_id: int) -> Credential:
    """A credential an advisor (their tenant's) or a faculty member (their course's) may
    see."""
    credential = db.session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.tenant_id == ctx.tenant_id
        )
    )
    if credential is None:
        raise NotFoundError(NOT_YOURS)
    if ctx.role == "advisor":
        return credential
    if (
        ctx.role == "faculty"
        and ctx.course_id is not None
        and _course_of(credential) == ctx.course_id
    ):
        return credential
    raise NotFoundError(NOT_YOURS)


class ReviewCredentials(NamedTuple):
    """The credentials the credit review page shows: each engagement's valid achievement
    credential by engagement id, and the current award's (None: it has none). Each is a row
    of its id and when it was issued, all the page shows (not the signed document)."""

    engagements: dict[int, Any]
    award: Any


@functools.cache
def _review_statement() -> Any:
    """The valid credentials of some engagements (their achievements) and of one award, built
    once; bound with ``tenant_id``, ``engagement_ids`` (a list) and ``award_id`` (None: no
    award's)."""
    return select(
        Credential.id, Credential.engagement_id, Credential.award_id, Credential.issued_at
    ).where(
        Credential.tenant_id == bindparam("tenant_id"),
        Credential.revoked_at.is_(None),
        or_(
            and_(
                Credential.engagement_id.in_(bindparam("engagement_ids", expanding=True)),
                Credential.kind == "achievement",
            ),
            Credential.award_id == bindparam("award_id", type_=Integer),
        ),
    )


def review_credentials(
    tenant_id: int, engagement_ids: list[int], award_id: int | None
) -> ReviewCredentials:
    """The review page's credentials (``ReviewCredentials``) in one statement; none when it
    shows neither engagements nor an award."""
    if not engagement_ids and award_id is None:
        return ReviewCredentials({}, None)
    params = {"tenant_id": tenant_id, "engagement_ids": engagement_ids, "award_id": award_id}
    engagements, award = {}, None
    for row in db.session.execute(_review_statement(), params):
        if award_id is not None and row.award_id == award_id:
            award = row
        if row.engagement_id is not None and row.engagement_id in engagement_ids:
            engagements[int(row.engagement_id)] = row
    return ReviewCredentials(engagements, award)


def evidence_options(credential: Credential) -> tuple[list[Deliverable], bool]:
    """What the student may add to an engagement's credential: its deliverables, and whether
    the supervisor's evaluation has a comment."""
    if credential.engagement_id is None:
        return [], False
    files = list(
        db.session.scalars(
            select(Deliverable)
            .where(
                Deliverable.tenant_id == credential.tenant_id,
                Deliverable.engagement_id == credential.engagement_id,
            )
            .order_by(Deliverable.created_at, Deliverable.id)
        )
    )
    comment = db.session.scalar(
        select(SupervisorEvaluation.comments).where(
            SupervisorEvaluation.tenant_id == credential.tenant_id,
            SupervisorEvaluation.engagement_id == credential.engagement_id,
        )
    )
    return files, bool((comment or "").strip())
