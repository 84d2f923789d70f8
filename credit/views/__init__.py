"""The credit blueprint (``/credit``) and what its route modules share: the home panels and the
helpers every page uses. The routes are in ``course.py`` (policy, roster, queue, exports,
institution defaults), ``student.py`` (resubmitting, choosing the course of an engagement),
``review.py`` (one student's review, the bulk award, second approvals) and ``column.py`` (the
gradebook column, misposted grades, sync failures); ``credit.register`` imports them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError

from ..models import CreditPolicy
from ..services import awards as award_svc
from ..services import column as column_svc
from ..services import misposted as misposted_svc
from ..services import policy as policy_svc
from ..services import progress as progress_svc
from ..services import sync as sync_svc
from .figures import state_counts

bp = Blueprint("credit", __name__, url_prefix="/credit")
QUEUE_PREVIEW = 5  # students of the review queue the instructor's home shows


# --- home panels ----------------------------------------------------------------------------


def student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home: their progress in each of their courses, each row with its course's
    title and the policy its figures were computed under (the work panel's timelines read the
    rows too), and the labels of each course's checklist items still to do."""
    rows = progress_svc.student_progress_all_courses(ctx.tenant_id, ctx.user_id)
    missing = {p.course_id: [i.label for i in p.checklist if not i.done] for p in rows}
    return {"rows": rows, "missing": missing}


def faculty_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The instructor's home: the figures at a glance and the first of the review queue, all
    from the course's grouped progress queries (the states, not everyone's checklist: see
    ``course_states``) and one grouped count of its grade messages."""
    if ctx.course_id is None:
        return {"waiting": 0, "failed": 0, "counts": {}, "queue": [], "sync": {}}
    states, queue = progress_svc.course_states(ctx.tenant_id, ctx.course_id, QUEUE_PREVIEW)
    counts = {key: n for key, _, n in state_counts(states.elements())}
    sync = sync_svc.course_summary(ctx.tenant_id, ctx.course_id)
    return {
        "waiting": sum(states[state] for state in progress_svc.QUEUED),
        "working": counts["in_progress"] + counts["changes_requested"],
        "counts": counts,
        "queue": queue,
        "sync": sync,
        "failed": sync["failed"],
        "approvals": len(award_svc.awaiting_second_approval(ctx)),
        "misposted": misposted_svc.open_misposted_count(ctx.tenant_id, ctx.course_id),
    }


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    return {"approvals": len(award_svc.awaiting_second_approval(ctx))}


# --- helpers --------------------------------------------------------------------------------


def tell(column: column_svc.ResolvedColumn) -> None:
    """What the instructor should know about the credit column (created, replaced)."""
    for news in column.news:
        flash(news, "info")


def read_only() -> ForbiddenError:
    return ForbiddenError(
        "Your access to this course is read-only (teaching assistant).", reason="read_only"
    )


def course_id_of(ctx: LaunchContext) -> int:
    """The launch's course (404 outside a course)."""
    if ctx.course_id is None:
        abort(404)
    return ctx.course_id


def course_policy(ctx: LaunchContext) -> tuple[int, CreditPolicy]:
    """The launch's course and its credit policy to read (``read_policy``: writes nothing)."""
    course_id = course_id_of(ctx)
    return course_id, policy_svc.read_policy(ctx.tenant_id, course_id)
