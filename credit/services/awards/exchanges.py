"""The exchanges of a review: each request for changes, what it reopened and what the student
changed under it (the reflection's answers before and now, the deliverables and hour entries
handed in since), and the student's answer. The review page shows them, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from internships.work.models import Deliverable, EngagementReopening, HourLog, Reflection
from internships.work.services import reopenings
from internships.work.services.handins import REFLECTION_PROMPTS
from lti_tool.extensions import db

from ...models import CreditDecision
from .changes import reopened_words


@dataclass
class Reopened:
    """One reopened part, in words, with what changed under it."""

    row: EngagementReopening
    words: str
    reflection: list[tuple[str, str, str]] = field(default_factory=list)  # prompt, before, now
    deliverables: list[Deliverable] = field(default_factory=list)
    hours: list[HourLog] = field(default_factory=list)


@dataclass
class Exchange:
    request: CreditDecision
    reopened: list[Reopened]
    answer: CreditDecision | None  # the student's resubmission, once they answered

    @property
    def waiting(self) -> bool:
        return self.answer is None


Handed = tuple[list[HourLog], list[Deliverable]]


def exchanges(
    decisions: list[CreditDecision],
    titles: Mapping[int, str] | None = None,
    answers: Mapping[int, dict[str, str] | None] | None = None,
    reopened: Mapping[int, list[EngagementReopening]] | None = None,
    handed: Mapping[int, Handed] | None = None,
) -> list[Exchange]:
    """The requests for changes among ``decisions`` (one student in one course, newest
    first, as ``decision_history`` gives them), each with its reopened parts and answer.
    When the caller read them: ``titles``, the listing titles of the student's engagements,
    ``answers``, their reflections' answers now (None: no reflection), ``handed``, their hour
    logs (by day) and deliverables (oldest first), by engagement id; ``reopened``, each
    request's reopenings (``decisions_and_reopenings``). What the caller read is not read
    again: the review page's exchanges then cost no statement of their own."""
    requests = [d for d in decisions if d.kind == "changes_requested"]
    if not requests:
        return []
    tenant_id = requests[0].tenant_id
    if reopened is None:
        reopened = reopenings.of_requests(tenant_id, [r.id for r in requests])
    rows = {r.id: reopened.get(r.id, []) for r in requests}
    words = reopened_words([row for found in rows.values() for row in found], titles)
    found: list[Exchange] = []
    for request in requests:
        # a student answers only the newest request: the first answer after it is its own
        answer = next(
            (d for d in reversed(decisions) if d.kind == "resubmitted" and d.id > request.id),
            None,
        )
        parts = [Reopened(row, words[row.id]) for row in rows[request.id]]
        for part in parts:
            _changes(tenant_id, part, answers or {}, handed or {})
        found.append(Exchange(request, parts, answer))
    return found


def _changes(
    tenant_id: int,
    part: Reopened,
    answers: Mapping[int, dict[str, str] | None],
    handed: Mapping[int, Handed],
) -> None:
    row = part.row
    if row.kind == "reflection":
        if row.engagement_id in answers:
            now = answers[row.engagement_id]
        else:
            now = db.session.scalar(
                select(Reflection.answers).where(
                    Reflection.tenant_id == tenant_id,
                    Reflection.engagement_id == row.engagement_id,
                )
            )
        for key, prompt in REFLECTION_PROMPTS:
            before, after = (row.before or {}).get(key, ""), (now or {}).get(key, "")
            if before != after:
                part.reflection.append((prompt, before, after))
    elif row.engagement_id in handed:  # what the caller read, filtered as the queries below
        logs, deliverables = handed[row.engagement_id]
        if row.kind == "deliverable":
            part.deliverables = sorted(
                (d for d in deliverables if d.created_at >= row.opened_at and _revises(d, row)),
                key=lambda d: d.id,
            )
        else:
            part.hours = [log for log in logs if log.created_at >= row.opened_at]
    elif row.kind == "deliverable":
        part.deliverables = list(
            db.session.scalars(
                select(Deliverable)
                .where(
                    Deliverable.tenant_id == tenant_id,
                    Deliverable.engagement_id == row.engagement_id,
                    Deliverable.created_at >= row.opened_at,
                    Deliverable.revises_id.is_(None)
                    if row.deliverable_id is None
                    else Deliverable.revises_id == row.deliverable_id,
                )
                .order_by(Deliverable.id)
            )
        )
    else:
        part.hours = list(
            db.session.scalars(
                select(HourLog)
                .where(
                    HourLog.tenant_id == tenant_id,
                    HourLog.engagement_id == row.engagement_id,
                    HourLog.created_at >= row.opened_at,
                )
                .order_by(HourLog.work_date, HourLog.id)
            )
        )


def _revises(deliverable: Deliverable, row: EngagementReopening) -> bool:
    """Whether ``deliverable`` answers the reopened part ``row``: a revision of its deliverable,
    or a new deliverable when it reopened none."""
    return deliverable.revises_id == row.deliverable_id
