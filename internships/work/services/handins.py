"""What the student hands in on an engagement: deliverables (a checked file or a link) and
the guided reflection. Both wait for the acknowledged learning agreement; on a finished
engagement, only what an instructor reopened (``reopenings``) can change."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select

from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import Deliverable, Engagement, Reflection
from . import reopenings, uploads
from .access import EngagementInvalidError, get_engagement, own_acknowledged
from .reads import kept

REFLECTION_PROMPTS = (
    ("what", "What did you do? Describe the project and your part in it."),
    ("learned", "What did you learn about the work, the field and yourself?"),
    ("competencies", "Which career competencies did you use, and where did you grow most?"),
    ("challenge", "What was the hardest moment, and how did you handle it?"),
    ("next", "What will you do differently, or next, because of this experience?"),
)
MIN_REFLECTION_ANSWER = 40


# built once (every engagement page reads them); a request binds the engagement
_DELIVERABLES = (
    select(Deliverable)
    .where(
        Deliverable.engagement_id == bindparam("engagement_id"),
        Deliverable.tenant_id == bindparam("tenant_id"),
    )
    .order_by(Deliverable.created_at, Deliverable.id)
)
_REFLECTION = select(Reflection).where(
    Reflection.tenant_id == bindparam("tenant_id"),
    Reflection.engagement_id == bindparam("engagement_id"),
)


def deliverables(engagement: Engagement) -> list[Deliverable]:
    """The engagement's deliverables, oldest first (read once per transaction: ``reads``)."""
    params = {"engagement_id": engagement.id, "tenant_id": engagement.tenant_id}
    return kept("deliverables", engagement, lambda: list(db.session.scalars(_DELIVERABLES, params)))


def reflection_of(engagement: Engagement) -> Reflection | None:
    """The student's reflection, if any (read once per transaction: ``reads``)."""
    params = {"engagement_id": engagement.id, "tenant_id": engagement.tenant_id}
    return kept("reflection", engagement, lambda: db.session.scalar(_REFLECTION, params))


def get_deliverable(ctx: LaunchContext, deliverable_id: int) -> Deliverable:
    """A deliverable whose engagement the launch may see."""
    deliverable = db.session.scalar(
        select(Deliverable).where(
            Deliverable.id == deliverable_id, Deliverable.tenant_id == ctx.tenant_id
        )
    )
    if deliverable is None:
        raise NotFoundError("That file does not exist or is not yours to see.")
    get_engagement(ctx, deliverable.engagement_id)
    return deliverable


def add_deliverable(
    ctx: LaunchContext,
    engagement_id: int,
    title: str,
    *,
    url: str = "",
    data: bytes | None = None,
    filename: str = "",
    revises: int | None = None,
) -> Deliverable:
    """The student hands in a deliverable: a file (checked and stored) or an https URL; a
    revised version of ``revises`` where an instructor asked for one. Once the engagement is
    no longer active, only what a request for changes reopened."""
    engagement = own_acknowledged(ctx, engagement_id, "deliverable")
    _check_revises(engagement, revises)
    title = " ".join(title.split())
    if not 2 <= len(title) <= 200:
        raise EngagementInvalidError("title", "Give the deliverable a title (2 to 200 characters).")
    url = url.strip()
    if bool(url) == bool(data):
        raise EngagementInvalidError(
            "file", "Upload a file or give a link — one of the two.", "file_or_url"
        )
    deliverable = Deliverable(
        tenant_id=ctx.tenant_id, engagement_id=engagement.id, title=title, revises_id=revises
    )
    if url:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", url) or len(url) > 1000:
            raise EngagementInvalidError("url", "Give a web address starting with https://.")
        deliverable.url = url
    else:
        try:
            stored = uploads.store_deliverable(data or b"", filename)
        except uploads.UploadRejectedError as exc:
            raise EngagementInvalidError("file", exc.message, exc.reason) from exc
        deliverable.file_path, deliverable.filename = stored.name, stored.filename
        deliverable.content_type, deliverable.size = stored.content_type, stored.size
    db.session.add(deliverable)
    db.session.flush()
    audit.record(
        ctx.actor,
        "deliverable.add",
        ctx.tenant_id,
        engagement_id=engagement.id,
        deliverable_id=deliverable.id,
        revises=revises,
    )
    reopenings.note_change(engagement, "deliverable", revises)
    return deliverable


def _check_revises(engagement: Engagement, revises: int | None) -> None:
    """``revises`` must be a deliverable an open request asks to revise; on an engagement
    that is no longer active, a new deliverable needs a request that asks for one."""
    asked = {r.deliverable_id for r in reopenings.open_reopenings(engagement, "deliverable")}
    if revises is not None and revises not in asked:
        raise EngagementInvalidError(
            "revises", "Your instructor has not asked for a revision of that deliverable."
        )
    if revises is None and engagement.status != "active" and None not in asked:
        raise EngagementInvalidError(
            "revises",
            "Your instructor asked for a revised version: choose the deliverable it replaces.",
        )


def save_reflection(
    ctx: LaunchContext, engagement_id: int, answers: dict[str, str], *, submit: bool
) -> Reflection:
    """The student saves (or submits) their answers to the guided prompts; a submitted
    reflection answers every prompt with at least a few sentences."""
    engagement = own_acknowledged(ctx, engagement_id, "reflection")
    clean = {key: (answers.get(key) or "").strip()[:5000] for key, _ in REFLECTION_PROMPTS}
    if submit:
        for key, prompt in REFLECTION_PROMPTS:
            if len(clean[key]) < MIN_REFLECTION_ANSWER:
                raise EngagementInvalidError(
                    key,
                    f"Answer “{prompt}” in at least {MIN_REFLECTION_ANSWER} characters.",
                    "reflection_short",
                )
    reflection = reflection_of(engagement) or Reflection(
        tenant_id=ctx.tenant_id, engagement_id=engagement.id
    )
    reopened = reopenings.is_open(engagement, "reflection")
    if reflection.submitted_at is not None and not reopened:
        raise PolicyViolationError("Your reflection is already submitted.", reason="submitted")
    reflection.answers = clean
    # a reopened reflection saved as a draft is a draft again, until it is submitted
    reflection.submitted_at = utcnow() if submit else None
    db.session.add(reflection)
    db.session.flush()
    if submit:
        audit.record(
            ctx.actor,
            "reflection.submit",
            ctx.tenant_id,
            engagement_id=engagement.id,
            revised=reopened,
        )
        reopenings.note_change(engagement, "reflection")
    return reflection
