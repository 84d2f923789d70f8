"""Bulk award: everyone ready in a course, set-based — a few statements whatever the number
of students (the awards, their audit entries, their scores in the outbox, the students'
notifications and email copies), never a query per student."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, String, cast, literal, select

from lti_tool.context import LaunchContext
from lti_tool.db_helpers import insert_rows
from lti_tool.extensions import db
from lti_tool.lti import ags
from lti_tool.models import AuditEntry, User, utcnow
from lti_tool.notify.mail import send_email
from lti_tool.notify.models import EmailMessage, Notification

from ...models import CreditAward, CreditPolicy
from ..policy import get_policy
from ..progress import course_progress
from ..standing import StudentProgress
from .rules import award_comment, instructor_name, require_faculty, score_for


@dataclass(frozen=True)
class BulkLine:
    student_id: int
    name: str
    credits: int
    hours: float


def bulk_candidates(tenant_id: int, course_id: int) -> list[BulkLine]:
    """Everyone ready for review, with the credits the policy gives them."""
    return [
        BulkLine(p.student_id, p.name or p.email or p.sub, p.credits_eligible, p.counted_hours)
        for p in course_progress(tenant_id, course_id)
        if p.state in ("ready", "resubmitted") and p.credits_eligible > 0
    ]


@dataclass(frozen=True)
class BulkAward:
    """One award a bulk award made."""

    id: int
    student_id: int
    credits: int
    grade_label: str
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class _Batch:
    """What every award of one bulk award shares."""

    ctx: LaunchContext
    course_id: int
    policy: CreditPolicy
    score_given: float
    label: str
    key_prefix: str  # each award's idempotency key is this and the student's id
    lineitem_url: str | None
    comment: str
    now: dt.datetime

    def made_now(self) -> tuple[ColumnElement[bool], ...]:
        """The criteria that select the awards this batch made."""
        return (
            CreditAward.tenant_id == self.ctx.tenant_id,
            CreditAward.course_id == self.course_id,
            CreditAward.created_at == self.now,
            CreditAward.idempotency_key.startswith(self.key_prefix, autoescape=True),
        )


def bulk_award(
    ctx: LaunchContext,
    *,
    student_ids: list[int],
    score: float | None,
    idempotency_key: str,
    lineitem_url: str | None,
    comment: str = "",
) -> list[BulkAward]:
    """Award everyone in ``student_ids`` who is still ready, with the credits the policy gives
    them, set-based (a few statements whatever the number of students). A re-submitted form
    (same key) adds nothing; students decided meanwhile are skipped."""
    course_id = require_faculty(ctx)
    policy = get_policy(ctx.tenant_id, course_id)
    ready = _ready(ctx.tenant_id, course_id, set(student_ids))
    score_given, label = score_for(policy, score)
    batch = _Batch(
        ctx,
        course_id,
        policy,
        score_given,
        label,
        f"{idempotency_key[:40]}:",
        lineitem_url,
        comment,
        utcnow(),
    )
    rows = [_award_row(batch, p) for p in ready]
    if not rows:
        return []
    # a student decided meanwhile (the current-award index) or a re-submitted form (the
    # idempotency key) adds no row
    insert_rows(CreditAward, rows, ignore_conflicts=True)
    made = _made(batch)
    if not made:
        return []
    insert_rows(AuditEntry, [_audit_row(batch, a) for a in made])
    final = [a for a in made if a.status == "final"]
    if final and lineitem_url:
        _enqueue_scores(batch)
    _notify_many(ctx, final, batch.made_now())
    db.session.flush()
    return made


def _ready(tenant_id: int, course_id: int, wanted: set[int]) -> list[StudentProgress]:
    """The students of ``wanted`` still ready, with credits to award."""
    # The whole course in a few grouped queries (cheaper than thousands of ids in IN lists).
    return [
        p
        for p in course_progress(tenant_id, course_id)
        if p.student_id in wanted and p.state in ("ready", "resubmitted") and p.credits_eligible > 0
    ]


def _award_row(batch: _Batch, p: StudentProgress) -> dict[str, Any]:
    """One student's award as a row of the set-based INSERT."""
    ctx, policy = batch.ctx, batch.policy
    two_step = policy.approval_chain == "faculty_then_second"
    return {
        "tenant_id": ctx.tenant_id,
        "course_id": batch.course_id,
        "student_id": p.student_id,
        "credits": p.credits_eligible,
        "approved_minutes": p.counted_minutes,
        "grading_mode": policy.grading_mode,
        "score_given": batch.score_given,
        "score_maximum": policy.score_maximum,
        "grade_label": batch.label,
        "comment": award_comment(p.credits_eligible, p, batch.comment),
        "engagement_ids": p.engagement_ids,
        "status": "awaiting_approval" if two_step else "final",
        "decided_by": ctx.actor.name,
        "decided_by_user_id": ctx.user_id,
        "idempotency_key": f"{batch.key_prefix}{p.student_id}",
        "registration_id": ctx.registration_id,
        "lineitem_url": batch.lineitem_url,
        "created_at": batch.now,
    }


def _made(batch: _Batch) -> list[BulkAward]:
    """The awards the INSERT made (the students decided meanwhile added none)."""
    return [
        BulkAward(*row)
        for row in db.session.execute(
            select(
                CreditAward.id,
                CreditAward.student_id,
                CreditAward.credits,
                CreditAward.grade_label,
                CreditAward.status,
                CreditAward.created_at,
            ).where(*batch.made_now())
        )
    ]


def _audit_row(batch: _Batch, a: BulkAward) -> dict[str, Any]:
    """One award's audit entry as a row of the set-based INSERT."""
    return {
        "tenant_id": batch.ctx.tenant_id,
        "actor": batch.ctx.actor.name,
        "action": "credit.awarded",
        "detail": {
            "course_id": batch.course_id,
            "student_id": a.student_id,
            "award_id": a.id,
            "credits": a.credits,
            "grade": a.grade_label,
            "status": a.status,
            "bulk": True,
        },
        "created_at": batch.now,
    }


def _enqueue_scores(batch: _Batch) -> None:
    """One INSERT ... SELECT from the final awards just made: no score visits Python."""
    ags.enqueue_scores_from_select(
        select(
            CreditAward.tenant_id.label("tenant_id"),
            CreditAward.registration_id.label("registration_id"),
            CreditAward.lineitem_url.label("lineitem"),
            User.sub.label("user_id"),
            CreditAward.score_given.label("score_given"),
            CreditAward.score_maximum.label("score_maximum"),
            CreditAward.created_at.label("timestamp"),
            CreditAward.comment.label("comment"),
            (literal("credit_award:") + cast(CreditAward.id, String)).label("source"),
        )
        .join(User, User.id == CreditAward.student_id)
        .where(*batch.made_now(), CreditAward.status == "final")
    )


def _notify_many(ctx: LaunchContext, awards: list[BulkAward], made_now: tuple[Any, ...]) -> None:
    """In-app notifications set-based; email copies (stored, and sent when SMTP is
    configured) for each. ``made_now``: the criteria that select the awards just made."""
    if not awards:
        return
    course = ctx.course_title or "your course"
    texts = {
        a.student_id: f"{instructor_name(ctx)} awarded you {a.credits} credit"
        f"{'s' if a.credits != 1 else ''} ({a.grade_label}) in {course}."[:500]
        for a in awards
    }
    insert_rows(
        Notification,
        [
            {"tenant_id": ctx.tenant_id, "user_id": sid, "kind": "credit_awarded", "message": t}
            for sid, t in texts.items()
        ],
    )
    emails = dict(
        db.session.execute(
            select(User.id, User.email)
            .join(CreditAward, CreditAward.student_id == User.id)
            .where(*made_now, CreditAward.status == "final", User.email != "")
        ).all()
    )
    if not emails:
        return
    if current_app.config["MAIL_SMTP_HOST"]:
        for sid, address in emails.items():
            send_email(
                ctx.tenant_id,
                address,
                "Career Credit: " + texts[sid][:120],
                texts[sid],
                about_user_id=sid,
            )
        return
    insert_rows(
        EmailMessage,
        [
            {
                "tenant_id": ctx.tenant_id,
                "to_address": address[:320],
                "subject": ("Career Credit: " + texts[sid][:120])[:300],
                "body": f"{texts[sid]}\n\nOpen Career Credit from your course in the LMS to "
                "see the details.\n",
                "transport": "outbox",
                "subject_user_id": sid,  # the student's export and erasure find it
            }
            for sid, address in emails.items()
        ],
    )
