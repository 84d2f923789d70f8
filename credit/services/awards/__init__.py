"""Decisions on credit: award (single, bulk, correction), ask for changes, deny, and the
second approval of a two-step chain. Each writes an audit entry and tells the student; a final
award writes its score to the outbox in the same transaction.

This package's public face is this module (``from credit.services import awards``;
``awards.award_credit``): ``rules`` holds the checks and pieces every decision shares,
``single`` one student's award or correction, ``bulk`` the set-based bulk award,
``changes`` requests for changes and the answers (``exchanges`` what the review page shows
of them), ``decisions`` denials, ``approvals`` the second approval, ``history`` what was
decided."""

from __future__ import annotations

from .approvals import (
    approve_award,
    awaiting_second_approval,
    decline_award,
    may_give_second_approval,
)
from .bulk import BulkAward, BulkLine, bulk_award, bulk_candidates
from .changes import open_request, part_choices, reopened_words, request_changes, resubmit
from .decisions import deny_credit
from .exchanges import Exchange, exchanges
from .history import (
    CourseAwards,
    award_history,
    decided_since,
    decision_history,
    decisions_and_reopenings,
    tenant_overview,
)
from .rules import (
    AwardConflictError,
    AwardInput,
    History,
    current_award,
    new_idempotency_key,
    student_and_policy,
    student_history,
    student_in_course,
)
from .single import award_credit, check_award, validate_award

__all__ = [
    "AwardConflictError",
    "AwardInput",
    "BulkAward",
    "BulkLine",
    "CourseAwards",
    "Exchange",
    "History",
    "approve_award",
    "awaiting_second_approval",
    "award_credit",
    "award_history",
    "bulk_award",
    "bulk_candidates",
    "check_award",
    "current_award",
    "decided_since",
    "decision_history",
    "decisions_and_reopenings",
    "decline_award",
    "deny_credit",
    "exchanges",
    "may_give_second_approval",
    "new_idempotency_key",
    "open_request",
    "part_choices",
    "reopened_words",
    "request_changes",
    "resubmit",
    "student_and_policy",
    "student_history",
    "student_in_course",
    "tenant_overview",
    "validate_award",
]
