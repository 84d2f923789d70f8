"""The supervisor's evaluation of an engagement, and the signed links that ask a supervisor
to confirm hours or to evaluate."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from internships.supervisor.links import issue_link
from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.mail import send_email
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ..models import (
    LINK_OPEN_STATUSES,
    RATING_LEVELS,
    CompetencyRating,
    Engagement,
    SupervisorEvaluation,
)
from .engagements import EngagementInvalidError, get_engagement_by_id
from .reads import kept


@functools.cache
def _evaluation_statement() -> Any:
    """The evaluation with its ratings, built once (every engagement page reads it)."""
    return (
        select(SupervisorEvaluation)
        .options(joinedload(SupervisorEvaluation.ratings))
        .where(SupervisorEvaluation.engagement_id == bindparam("engagement_id"))
    )


def evaluation_of(engagement: Engagement) -> SupervisorEvaluation | None:
    """The supervisor's evaluation with its ratings (read once per transaction: ``reads``)."""
    params = {"engagement_id": engagement.id}
    return kept(
        "evaluation", engagement, lambda: db.session.scalar(_evaluation_statement(), params)
    )


def submit_evaluation(
    actor: Actor,
    engagement_id: int,
    supervisor_name: str,
    ratings: dict[str, tuple[int | None, str]],
    comments: str,
) -> SupervisorEvaluation:
    """The supervisor rates each targeted competency 1 to 4 (``RATING_LEVELS``) or N/A (None)."""
    tenant_id = actor.tenant
    engagement = get_engagement_by_id(tenant_id, engagement_id)
    if engagement.status == "cancelled":
        raise PolicyViolationError("This engagement was canceled.", reason="cancelled")
    if evaluation_of(engagement) is not None:
        raise PolicyViolationError("This engagement is already evaluated.", reason="evaluated")
    if not 2 <= len(supervisor_name.strip()) <= 200:
        raise EngagementInvalidError("supervisor_name", "Give your name.")
    for competency in engagement.competencies:
        if competency not in ratings:
            raise EngagementInvalidError(
                "ratings", f"Rate “{competency}” or choose “Not applicable”.", "rating_missing"
            )
        level = ratings[competency][0]
        if level is not None and not 1 <= level <= len(RATING_LEVELS):
            raise EngagementInvalidError("ratings", f"Choose a level for “{competency}”.")
    evaluation = SupervisorEvaluation(
        tenant_id=tenant_id,
        engagement_id=engagement.id,
        supervisor_name=supervisor_name.strip(),
        comments=comments.strip()[:10000],
    )
    for competency in engagement.competencies:
        level, comment = ratings[competency]
        evaluation.ratings.append(
            CompetencyRating(
                tenant_id=tenant_id,
                competency=competency,
                level=level,
                comment=comment.strip()[:5000],
            )
        )
    db.session.add(evaluation)
    db.session.flush()
    audit.record(
        actor,
        "evaluation.submit",
        engagement_id=engagement.id,
        evaluation_id=evaluation.id,
    )
    notify(
        tenant_id,
        engagement.student_id,
        "evaluation_received",
        f"Your supervisor's evaluation of “{engagement.listing.title}” has arrived.",
        engagement_id=engagement.id,
    )
    return evaluation


LINK_TEXT = {
    "confirm_hours": (
        "Please confirm hours worked by {student}",
        "{student} has logged hours on “{title}”. Please confirm or query them here:",
    ),
    "evaluate": (
        "Please evaluate {student}'s micro-internship",
        "{student} has finished “{title}”. Please rate the career competencies it targeted:",
    ),
    "workspace": (
        "The project workspace for {student}'s micro-internship",
        "Your page for “{title}” with {student}: messages, the onboarding checklist and the"
        " weekly check-ins. Keep this link; it works until the project ends:",
    ),
}


def send_supervisor_link(
    actor: Actor,
    engagement_id: int,
    purpose: str,
    link_url: Callable[[str], str],
) -> str:
    """Email the engagement's supervisor a signed link to confirm hours or to evaluate;
    returns the token."""
    tenant_id = actor.tenant
    engagement = get_engagement_by_id(tenant_id, engagement_id)
    if purpose not in LINK_TEXT:
        raise PolicyViolationError("Unknown kind of link.", reason="purpose")
    if engagement.status not in LINK_OPEN_STATUSES:
        raise PolicyViolationError(
            f"This engagement is {engagement.status}: no new supervisor link can be sent.",
            reason="closed",
        )
    if not engagement.supervisor_email:
        raise PolicyViolationError(
            "The learning agreement names no supervisor email yet.",
            reason="no_supervisor",
            hint="Ask an advisor or your instructor to complete the learning agreement.",
        )
    if purpose == "evaluate" and evaluation_of(engagement) is not None:
        raise PolicyViolationError("The supervisor has already evaluated.", reason="evaluated")
    token = issue_link(actor, purpose, engagement.id, engagement.supervisor_email)
    subject, intro = LINK_TEXT[purpose]
    names = {"student": engagement.student.name or "Your intern", "title": engagement.listing.title}
    send_email(
        tenant_id,
        engagement.supervisor_email,
        subject.format(**names),
        f"Hello {engagement.supervisor_name or 'there'},\n\n{intro.format(**names)}\n\n"
        f"{link_url(token)}\n\nThe link works once and expires in a few days; no account is "
        "needed.\n",
        about_user_id=engagement.student_id,
    )
    audit.record(actor, "supervisor_link.issue", engagement_id=engagement.id, purpose=purpose)
    return token
