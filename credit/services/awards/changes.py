"""Asking for changes before awarding credit, and the student's answer.

A request names what it reopens — an engagement's reflection, a deliverable to revise or a
new one, or the hours (``internships.work.services.reopenings``) — and exactly that opens
again for the student, even on a finished engagement. The student changes it and answers
(``resubmit``): a request whose reopened parts are all unchanged cannot be answered. The
review page shows the request, what changed and the answer; the decisions' history keeps the
exchange."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from internships.models import Listing
from internships.work.models import Deliverable, Engagement, EngagementReopening
from internships.work.services import reopenings
from internships.work.services.reopenings import Part
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...models import CreditDecision
from .decisions import decide
from .history import decision_history
from .rules import require_faculty, student_in_course


@dataclass(frozen=True)
class PartChoice:
    part: Part
    label: str


def _engagements(tenant_id: int, course_id: int, student_id: int) -> list[tuple[int, str]]:
    """The student's engagements counting toward the course that a request can reopen."""
    rows = db.session.execute(
        select(Engagement.id, Listing.title)
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(
            Engagement.tenant_id == tenant_id,
            Engagement.course_id == course_id,
            Engagement.student_id == student_id,
            Engagement.status != "cancelled",
        )
        .order_by(Engagement.id)
    )
    return [(eid, title) for eid, title in rows]


def part_choices(
    tenant_id: int,
    course_id: int,
    student_id: int,
    engagements: Sequence[tuple[int, str]] | None = None,
    deliverables: Mapping[int, Sequence[tuple[int, str]]] | None = None,
) -> list[PartChoice]:
    """What a request for changes can reopen, in words, engagement by engagement. When the
    caller read them: ``engagements``, the student's engagements counting toward the course by
    id with their listings' titles, and ``deliverables``, each one's (id, title) by id."""
    if engagements is None:
        engagements = _engagements(tenant_id, course_id, student_id)
    handed_in: dict[int, list[tuple[int, str]]] = {eid: [] for eid, _ in engagements}
    if deliverables is not None and set(deliverables) >= set(handed_in):
        handed_in = {eid: list(deliverables[eid]) for eid in handed_in}
    elif engagements:
        for did, eid, title in db.session.execute(
            select(Deliverable.id, Deliverable.engagement_id, Deliverable.title)
            .where(
                Deliverable.tenant_id == tenant_id,
                Deliverable.engagement_id.in_(list(handed_in)),
            )
            .order_by(Deliverable.id)
        ):
            handed_in[eid].append((did, title))
    choices = []
    for eid, title in engagements:
        choices.append(PartChoice(Part(eid, "reflection"), f"The reflection on “{title}”"))
        for did, name in handed_in[eid]:
            label = f"A revised version of the deliverable “{name}” ({title})"
            choices.append(PartChoice(Part(eid, "deliverable", did), label))
        choices.append(PartChoice(Part(eid, "deliverable"), f"A new deliverable for “{title}”"))
        choices.append(PartChoice(Part(eid, "hours"), f"The hours logged for “{title}”"))
    return choices


def request_changes(
    ctx: LaunchContext, student_id: int, message: str, parts: Sequence[str] = ()
) -> CreditDecision:
    """Ask the student for changes, reopening the ``parts`` (keys of ``part_choices``) they
    are to change; they see the request on their home and on the engagement's page."""
    course_id = require_faculty(ctx)
    student_in_course(ctx, course_id, student_id)
    choices = {c.part.key: c for c in part_choices(ctx.tenant_id, course_id, student_id)}
    wanted = list(dict.fromkeys(parts))
    if choices and not wanted:
        raise PolicyViolationError(
            "Choose what the student is to change.",
            hint="Tick the reflection, a deliverable or the hours: exactly that reopens.",
            field="parts",
        )
    unknown = [key for key in wanted if key not in choices]
    if unknown:
        raise PolicyViolationError(
            "One of the parts to reopen is not this student's work in this course any more.",
            hint="Reload the page and choose again.",
            field="parts",
        )
    decision = decide(ctx, student_id, "changes_requested", message, notify_student=False)
    engagements = {
        e.id: e
        for e in db.session.scalars(
            select(Engagement).where(
                Engagement.tenant_id == ctx.tenant_id,
                Engagement.id.in_({choices[k].part.engagement_id for k in wanted}),
            )
        )
    }
    for key in wanted:
        part = choices[key].part
        reopenings.reopen(ctx.tenant_id, engagements[part.engagement_id], decision.id, part)
    audit.record(
        ctx.actor,
        "credit.reopened",
        ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        decision_id=decision.id,
        parts=wanted,
    )
    asked = "; ".join(choices[k].label[0].lower() + choices[k].label[1:] for k in wanted)
    course = ctx.course_title or "your course"
    text = f"Your instructor asked for changes before awarding credit in {course}: {message}"
    notify(ctx.tenant_id, student_id, "credit_changes_requested", f"{text} To change: {asked}.")
    return decision


def reopened_words(
    rows: Sequence[EngagementReopening], titles: Mapping[int, str] | None = None
) -> dict[int, str]:
    """Each reopening in words ("the reflection on “Title”"), by its id (``titles``: listing
    titles by engagement id the caller read already; the others are read here)."""
    if not rows:
        return {}
    tenant_id = rows[0].tenant_id  # the rows of one request, of one tenant
    titles = dict(titles or {})
    unknown = {r.engagement_id for r in rows} - set(titles)
    if unknown:
        titles.update(
            db.session.execute(
                select(Engagement.id, Listing.title)
                .join(Listing, Listing.id == Engagement.listing_id)
                .where(Engagement.tenant_id == tenant_id, Engagement.id.in_(unknown))
            ).all()
        )
    revised = {r.deliverable_id for r in rows if r.deliverable_id}
    named = {}
    if revised:
        named = dict(
            db.session.execute(
                select(Deliverable.id, Deliverable.title).where(
                    Deliverable.tenant_id == tenant_id, Deliverable.id.in_(revised)
                )
            ).all()
        )
    words = {}
    for r in rows:
        title = titles.get(r.engagement_id, "the engagement")
        if r.kind == "reflection":
            words[r.id] = f"the reflection on “{title}”"
        elif r.kind == "hours":
            words[r.id] = f"the hours logged for “{title}”"
        elif r.deliverable_id:
            words[r.id] = f"a revised version of “{named.get(r.deliverable_id, '')}” ({title})"
        else:
            words[r.id] = f"a new deliverable for “{title}”"
    return words


def open_request(tenant_id: int, course_id: int, student_id: int) -> CreditDecision | None:
    """The student's request for changes in the course that waits for their answer (their
    newest decision there, when it is one)."""
    newest = decision_history(tenant_id, course_id, student_id)[:1]
    return newest[0] if newest and newest[0].kind == "changes_requested" else None


def resubmit(ctx: LaunchContext, course_id: int, answer: str = "") -> CreditDecision:
    """The student answers their instructor's request: each part it reopened must have
    changed; what it reopened closes again and the instructor is told."""
    if ctx.role != "student":
        raise ForbiddenError("Only the student can resubmit their work.")
    request = open_request(ctx.tenant_id, course_id, ctx.user_id)
    if request is None:
        raise PolicyViolationError("Your instructor has not asked for changes in this course.")
    answer = answer.strip()
    if not 3 <= len(answer) <= 4000:
        raise PolicyViolationError(
            "Tell your instructor what you changed (3 to 4,000 characters).", field="answer"
        )
    rows = reopenings.of_requests(ctx.tenant_id, [request.id])[request.id]
    words = reopened_words(rows)
    waiting = [words[r.id] for r in rows if r.changed_at is None]
    if waiting:
        raise PolicyViolationError(
            f"You have not changed {'; '.join(waiting)} yet.",
            hint="Make the change on the engagement's page, then answer here.",
            field="answer",
        )
    reopenings.close_request(ctx.tenant_id, request.id)
    decision = CreditDecision(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        student_id=ctx.user_id,
        kind="resubmitted",
        message=answer,
        decided_by=ctx.actor.name,
        decided_by_user_id=ctx.user_id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(
        ctx.actor, "credit.resubmitted", ctx.tenant_id, course_id=course_id, request_id=request.id
    )
    if request.decided_by_user_id:
        who = ctx.actor.name.split(" <")[0] or "Your student"
        notify(
            ctx.tenant_id,
            request.decided_by_user_id,
            "credit_resubmitted",
            f"{who} answered your request for changes: {answer[:300]}",
        )
    return decision
