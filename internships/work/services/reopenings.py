"""What a request for changes reopens: an instructor who asks for changes before awarding
credit names the part of an engagement the student is to change — the reflection, one
deliverable to revise or a new one, or the hours — and exactly that opens again, even on a
finished engagement, until the student answers the request (``close_request``).

The rows (``EngagementReopening``) carry the request's id (a ``credit_decision``) without a
foreign key: credit builds on internships, not the other way round. Functions flush; callers
commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow

from ..models import Deliverable, Engagement, EngagementReopening, Reflection
from .reads import kept


@dataclass(frozen=True)
class Part:
    """One part of an engagement a request can reopen (a choice on the instructor's form)."""

    engagement_id: int
    kind: str
    deliverable_id: int | None = None

    @property
    def key(self) -> str:
        tail = f":{self.deliverable_id}" if self.deliverable_id else ""
        return f"{self.kind}:{self.engagement_id}{tail}"


# built once (the student's engagement page reads them); a request binds the engagement
_OPEN = (
    select(EngagementReopening)
    .where(
        EngagementReopening.tenant_id == bindparam("tenant_id"),
        EngagementReopening.engagement_id == bindparam("engagement_id"),
        EngagementReopening.closed_at.is_(None),
    )
    .order_by(EngagementReopening.id)
)
_OPEN_OF_KIND = _OPEN.where(EngagementReopening.kind == bindparam("kind"))


def open_reopenings(engagement: Engagement, kind: str | None = None) -> list[EngagementReopening]:
    """The engagement's reopenings still open (of ``kind``, if given), oldest first (all
    kinds: read once per transaction, ``reads``)."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id, "kind": kind}
    if kind is None:
        return kept("open_reopenings", engagement, lambda: list(db.session.scalars(_OPEN, params)))
    return list(db.session.scalars(_OPEN_OF_KIND, params))


def is_open(engagement: Engagement, kind: str) -> bool:
    return bool(open_reopenings(engagement, kind))


def reopen(
    tenant_id: int, engagement: Engagement, request_id: int, part: Part
) -> EngagementReopening:
    """Reopen ``part`` of ``engagement`` for the request ``request_id``."""
    if engagement.tenant_id != tenant_id or part.engagement_id != engagement.id:
        raise PolicyViolationError("That part belongs to another engagement.", reason="part")
    if engagement.status == "cancelled":
        raise PolicyViolationError("A canceled engagement cannot be reopened.", reason="cancelled")
    before: dict[str, str] = {}
    if part.kind == "reflection":
        reflection = db.session.scalar(
            select(Reflection).where(
                Reflection.engagement_id == engagement.id, Reflection.tenant_id == tenant_id
            )
        )
        before = dict(reflection.answers) if reflection and reflection.submitted_at else {}
    if part.deliverable_id is not None:
        owner = db.session.scalar(
            select(Deliverable.engagement_id).where(
                Deliverable.id == part.deliverable_id, Deliverable.tenant_id == tenant_id
            )
        )
        if owner != engagement.id:
            raise PolicyViolationError("That deliverable is not of this engagement.", reason="part")
    row = EngagementReopening(
        tenant_id=tenant_id,
        engagement_id=engagement.id,
        request_id=request_id,
        kind=part.kind,
        deliverable_id=part.deliverable_id,
        before=before,
    )
    db.session.add(row)
    db.session.flush()
    return row


def note_change(engagement: Engagement, kind: str, deliverable_id: int | None = None) -> None:
    """The student changed ``kind`` (a deliverable: revised ``deliverable_id``, or a new one
    when None): the open reopenings it answers are marked changed."""
    now = utcnow()
    for row in open_reopenings(engagement, kind):
        if kind == "deliverable" and row.deliverable_id != deliverable_id:
            continue
        if row.changed_at is None:
            row.changed_at = now
    db.session.flush()


def of_requests(tenant_id: int, request_ids: Iterable[int]) -> dict[int, list[EngagementReopening]]:
    """The reopenings of each request (open or closed), in the order they were made."""
    ids = list(request_ids)
    found: dict[int, list[EngagementReopening]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.scalars(
        select(EngagementReopening)
        .where(
            EngagementReopening.tenant_id == tenant_id,
            EngagementReopening.request_id.in_(ids),
        )
        .order_by(EngagementReopening.id)
    )
    for row in rows:
        found[row.request_id].append(row)
    return found


def close_request(tenant_id: int, request_id: int) -> list[EngagementReopening]:
    """The student answered the request: what it reopened closes again."""
    rows = of_requests(tenant_id, [request_id])[request_id]
    now = utcnow()
    for row in rows:
        if row.closed_at is None:
            row.closed_at = now
    db.session.flush()
    return rows
