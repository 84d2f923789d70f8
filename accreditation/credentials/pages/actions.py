"""What the student changes of their credentials from the pages, each checked as theirs first
and carried out by issuance (a changed credential is revoked and issued again): sharing one,
the evidence it includes, the DID that identifies them, their CLR."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError
from lti_tool.extensions import db

from ..models import Credential, CredentialSubject
from .mine import own_credential


def _student(ctx: LaunchContext) -> None:
    if ctx.role != "student":
        raise ForbiddenError("Only the student changes their credentials.", reason="role")


def subject_did(ctx: LaunchContext) -> str:
    """The DID the student gave (empty when their credentials name their hashed email)."""
    did = db.session.scalar(
        select(CredentialSubject.did).where(
            CredentialSubject.tenant_id == ctx.tenant_id,
            CredentialSubject.student_id == ctx.user_id,
        )
    )
    return did or ""


def share(ctx: LaunchContext, credential_id: int, shared: bool) -> Credential:
    """Show (or stop showing) the credential on its public verification page."""
    from ..issuance import services as issuance

    _student(ctx)
    own_credential(ctx, credential_id)
    return issuance.set_shared(ctx.actor, credential_id, shared)


def choose_evidence(
    ctx: LaunchContext, credential_id: int, deliverable_ids: list[int], include_comment: bool
) -> Credential:
    """Issue the credential again with the evidence chosen; the new credential."""
    from ..issuance import services as issuance

    _student(ctx)
    own_credential(ctx, credential_id)
    return issuance.set_evidence(ctx.actor, credential_id, deliverable_ids, include_comment)


def save_did(ctx: LaunchContext, did: str) -> None:
    """Name the student's DID in their credentials (empty: their hashed email again)."""
    from ..issuance import services as issuance

    _student(ctx)
    issuance.set_subject_did(ctx.actor, ctx.user_id, did)


def prepare_clr(ctx: LaunchContext) -> Credential:
    """The student's CLR of every valid achievement (issued again only when that set
    changed)."""
    from ..issuance import services as issuance

    _student(ctx)
    return issuance.clr_for(ctx.actor, ctx.user_id)
