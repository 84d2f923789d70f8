"""The conversation in export, erasure and retention. A message hangs off its engagement, so
the student's export and erasure find it through the schema (``lti_tool.privacy.schema``):
pseudonymising the student clears the bodies and deletes the attachments, erasing deletes the
messages. What the schema cannot know is done here: a faculty member, advisor or the student
erased keeps no name on the messages they wrote in others' records (``forget_author``), and
attachments go with the deliverables' files once the engagement is past the retention period
(``purge_expired_attachments``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select, update

from lti_tool.extensions import db

from ...work.models import Engagement
from ...work.services import uploads
from .models import WorkspaceMessage

FORMER = {
    "student": "Former student",
    "faculty": "Former instructor",
    "advisor": "Former career advisor",
}


def forget_author(tenant_id: int, user_id: int) -> dict[str, int]:
    """The erasure hook: messages the person wrote show a role, not their name."""
    changed = 0
    for kind, words in FORMER.items():
        result = db.session.execute(
            update(WorkspaceMessage)
            .where(
                WorkspaceMessage.tenant_id == tenant_id,
                WorkspaceMessage.author_id == user_id,
                WorkspaceMessage.author_kind == kind,
            )
            .values(author_name=words)
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return {"workspace_message_authors": changed}


def purge_expired_attachments(tenant_id: int, cutoff: dt.date) -> dict[str, int]:
    """The retention rule: attachments of engagements that ended before ``cutoff`` (as the
    deliverables' files); the messages stay, without the file."""
    cutoff_at = dt.datetime.combine(cutoff, dt.time())
    ended = select(Engagement.id).where(
        Engagement.tenant_id == tenant_id,
        or_(
            and_(Engagement.end_date.is_not(None), Engagement.end_date < cutoff),
            and_(
                Engagement.end_date.is_(None),
                Engagement.status.in_(("completed", "cancelled")),
                Engagement.updated_at < cutoff_at,
            ),
        ),
    )
    messages = db.session.scalars(
        select(WorkspaceMessage).where(
            WorkspaceMessage.tenant_id == tenant_id,
            WorkspaceMessage.file_path.is_not(None),
            WorkspaceMessage.engagement_id.in_(ended),
        )
    ).all()
    for message in messages:
        uploads.remove_file(message.file_path)
        message.file_path = None
    db.session.flush()
    return {"message_files": len(messages)}
