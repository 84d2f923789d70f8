"""Course credit policies with tenant defaults, and which course an engagement counts toward."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Executable, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from internships.work.models import Engagement
from internships.workspace.plan.services.calendar import CalendarDate
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course, Enrolment, Tenant
from lti_tool.services import audit
from lti_tool.tenants import get_tenant

from ..models import APPROVAL_CHAINS, GRADING_MODES, SECOND_APPROVERS, CreditAward, CreditPolicy
from .standing import DefaultRules, Rules

# Tenant-wide defaults (tenant.settings["credit_defaults"]) and the ceiling on credits a course
# may offer (tenant.settings["credit_defaults"]["credit_limit"]).
DEFAULTS: dict[str, Any] = {
    "hours_per_credit": 45,
    "max_credits": 3,
    "credit_limit": 6,
    "allow_stacking": True,
    "require_agreement": True,
    "require_evaluation": True,
    "require_reflection": True,
    "grading_mode": "pass_fail",
    "approval_chain": "faculty",
}


class PolicyInvalidError(PolicyViolationError):
    """A policy change that breaks a rule; ``errors`` maps field names to messages."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()), errors=problems)

    @property
    def problems(self) -> dict[str, str]:
        """``errors`` by its older name."""
        return self.errors


def tenant_defaults(tenant: Tenant) -> dict[str, Any]:
    """The tenant's credit defaults, falling back to the product defaults key by key."""
    stored = (tenant.settings or {}).get("credit_defaults") or {}
    merged = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        value = stored.get(key)
        # bool is an int: a stored value counts only when its type is exactly the default's.
        if value is not None and type(value) is type(default):
            merged[key] = value
    return merged


def _course(tenant_id: int, course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or course.tenant_id != tenant_id:
        raise NotFoundError("This course is not known to Career Credit.")
    return course


def read_policy(tenant_id: int, course_id: int) -> CreditPolicy:
    """The course's policy to read: the stored one, or (before anyone has decided anything in
    the course) the one the tenant's defaults would make, not stored: a page view writes
    nothing. Anything that changes the policy or records a decision uses ``get_policy``."""
    params = {"tenant_id": tenant_id, "course_id": course_id}
    policy = db.session.scalar(_policy_statement(False), params)
    if policy is not None:
        return policy
    return _from_defaults(tenant_id, course_id)


@functools.cache
def _policy_statement(many: bool) -> Executable:
    """The stored policy of ``course_id`` (``many``: the policies of ``course_ids``) in the
    tenant of ``tenant_id``; built once, as every credit page reads it."""
    course = (
        CreditPolicy.course_id.in_(bindparam("course_ids", expanding=True))
        if many
        else CreditPolicy.course_id == bindparam("course_id")
    )
    return select(CreditPolicy).where(CreditPolicy.tenant_id == bindparam("tenant_id"), course)


def read_policies(
    tenant_id: int, course_ids: list[int], courses_known: bool = False
) -> dict[int, Rules]:
    """The rules of several courses in one query: each one's stored policy, or the tenant's
    ``DefaultRules`` (``courses_known``: the caller read the course ids from the tenant's own
    rows, so they need no check)."""
    params = {"tenant_id": tenant_id, "course_ids": course_ids}
    found: dict[int, Rules] = {
        p.course_id: p for p in db.session.scalars(_policy_statement(True), params)
    }
    missing = [cid for cid in course_ids if cid not in found]
    if missing and not courses_known:
        known = set(
            db.session.scalars(
                select(Course.id).where(Course.tenant_id == tenant_id, Course.id.in_(missing))
            )
        )
        if len(known) != len(set(missing)):
            raise NotFoundError("This course is not known to Career Credit.")
    if missing:
        found.update(dict.fromkeys(missing, default_rules(tenant_id)))
    return {cid: found[cid] for cid in course_ids}


def default_rules(tenant_id: int) -> DefaultRules:
    """The rules a course without a stored policy follows, to read its progress by."""
    return DefaultRules.of(tenant_defaults(get_tenant(tenant_id)))


def _from_defaults(tenant_id: int, course_id: int) -> CreditPolicy:
    """A new (transient) policy of the course from the tenant's defaults, every column set."""
    _course(tenant_id, course_id)
    rules = default_rules(tenant_id)  # the same values a course without a policy follows
    policy = CreditPolicy(
        tenant_id=tenant_id, course_id=course_id, updated_by="defaults", **asdict(rules)
    )
    for key, default in _column_defaults():
        if getattr(policy, key) is not None:
            continue
        if default.is_scalar:
            setattr(policy, key, default.arg)
        else:
            setattr(policy, key, default.arg(None))  # e.g. updated_at: now
    return policy


@functools.cache
def _column_defaults() -> tuple[tuple[str, Any], ...]:
    """CreditPolicy's columns with a Python-side default (a value or a callable), found once."""
    found = []
    for attr in sa_inspect(CreditPolicy).column_attrs:
        default = attr.columns[0].default
        if default is not None and (default.is_scalar or default.is_callable):
            found.append((attr.key, default))
    return tuple(found)


def get_policy(tenant_id: int, course_id: int) -> CreditPolicy:
    """The course's policy, stored: created from the tenant's defaults the first time
    (flushed). For a change or a decision; a page that only reads uses ``read_policy``."""
    policy = db.session.scalar(
        select(CreditPolicy).where(
            CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == course_id
        )
    )
    if policy is not None:
        return policy
    policy = _from_defaults(tenant_id, course_id)
    try:
        with db.session.begin_nested():  # two first visits at once: one creates, both read it
            db.session.add(policy)
    except IntegrityError:
        found = db.session.scalar(
            select(CreditPolicy).where(
                CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == course_id
            )
        )
        if found is None:  # the other insert rolled back too: try once more
            return get_policy(tenant_id, course_id)
        return found
    return policy


@dataclass(frozen=True)
class PolicyInput:
    hours_per_credit: int
    max_credits: int
    allow_stacking: bool
    require_agreement: bool
    require_evaluation: bool
    require_reflection: bool
    min_rating: int | None
    grading_mode: str
    points_possible: int
    deadline: dt.date | None
    approval_chain: str
    second_approver: str


def validate_policy(tenant: Tenant, course: Course, data: PolicyInput) -> dict[str, str]:
    """Problems with a policy, by field (empty when it is valid)."""
    problems: dict[str, str] = {}
    limit = tenant_defaults(tenant)["credit_limit"]
    if data.hours_per_credit < 1 or data.hours_per_credit > 400:
        problems["hours_per_credit"] = "Hours per credit must be between 1 and 400."
    if data.max_credits < 0 or data.max_credits > limit:
        problems["max_credits"] = (
            f"Credits must be between 0 and {limit}, your institution's maximum for one course."
        )
    if data.min_rating is not None and not 1 <= data.min_rating <= 4:
        problems["min_rating"] = "The minimum rating must be one of the four levels, or none."
    if data.grading_mode not in GRADING_MODES:
        problems["grading_mode"] = "Choose pass/fail, points or percentage."
    if data.grading_mode == "points" and not 1 <= data.points_possible <= 10000:
        problems["points_possible"] = "Points possible must be between 1 and 10,000."
    if data.approval_chain not in APPROVAL_CHAINS:
        problems["approval_chain"] = "Choose who approves credit."
    if data.second_approver not in SECOND_APPROVERS:
        problems["second_approver"] = "Choose who gives the second approval."
    if data.deadline is not None:
        start, end = course.term_dates()
        if (start and data.deadline < start) or (end and data.deadline > end):
            problems["deadline"] = (
                f"The deadline must fall inside the course's term "
                f"({start.isoformat() if start else '…'} to {end.isoformat() if end else '…'})."
            )
    return problems


def update_policy(ctx: LaunchContext, data: PolicyInput) -> CreditPolicy:
    """Change the course's policy (faculty with write access); audited with the changes.
    Awards already made keep the values they were made with."""
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors can change its credit policy.")
    course = _course(ctx.tenant_id, ctx.course_id)
    problems = validate_policy(get_tenant(ctx.tenant_id), course, data)
    if problems:
        raise PolicyInvalidError(problems)
    policy = get_policy(ctx.tenant_id, ctx.course_id)
    changes: dict[str, list[Any]] = {}
    for f in fields(PolicyInput):
        old, new = getattr(policy, f.name), getattr(data, f.name)
        if old != new:
            changes[f.name] = [_jsonable(old), _jsonable(new)]
            setattr(policy, f.name, new)
    if changes:
        policy.updated_by = ctx.actor.name
        audit.record(
            ctx.actor,
            "credit.policy_changed",
            ctx.tenant_id,
            course_id=course.id,
            changes=changes,
        )
    db.session.flush()
    return policy


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def update_tenant_defaults(ctx: LaunchContext, values: dict[str, Any]) -> dict[str, Any]:
    """Change the tenant's credit defaults (tool administrators); audited. Existing course
    policies keep their values."""
    if not ctx.is_tool_admin:
        raise ForbiddenError(
            "Only Career Credit administrators can change the institution's defaults."
        )
    problems: dict[str, str] = {}
    if not 1 <= int(values["hours_per_credit"]) <= 400:
        problems["hours_per_credit"] = "Hours per credit must be between 1 and 400."
    if not 0 <= int(values["credit_limit"]) <= 30:
        problems["credit_limit"] = "The maximum must be between 0 and 30 credits."
    if not 0 <= int(values["max_credits"]) <= int(values["credit_limit"]):
        problems["max_credits"] = "The default credits must not exceed the maximum."
    if values["grading_mode"] not in GRADING_MODES:
        problems["grading_mode"] = "Choose pass/fail, points or percentage."
    if values["approval_chain"] not in APPROVAL_CHAINS:
        problems["approval_chain"] = "Choose who approves credit."
    if problems:
        raise PolicyInvalidError(problems)
    tenant = get_tenant(ctx.tenant_id)
    old = tenant_defaults(tenant)
    new = {k: values[k] if k in values else old[k] for k in DEFAULTS}
    tenant.settings = {**(tenant.settings or {}), "credit_defaults": new}
    audit.record(
        ctx.actor,
        "credit.defaults_changed",
        ctx.tenant_id,
        changes={k: [old[k], new[k]] for k in DEFAULTS if old[k] != new[k]},
    )
    db.session.flush()
    return new


# --- which course an engagement counts toward ------------------------------------------------


def student_courses(tenant_id: int, student_id: int) -> list[Course]:
    """Courses where the student has launched the tool as a student."""
    return list(
        db.session.scalars(
            select(Course)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(
                Enrolment.tenant_id == tenant_id,
                Enrolment.user_id == student_id,
                Enrolment.role == "student",
            )
            .order_by(Course.title, Course.id)
        )
    )


def engagement_in_award(tenant_id: int, engagement_id: int) -> bool:
    """Whether a current award already counted this engagement."""
    awards = db.session.scalars(
        select(CreditAward.engagement_ids).where(
            CreditAward.tenant_id == tenant_id,
            CreditAward.superseded_at.is_(None),
            CreditAward.status != "declined",
        )
    )
    return any(engagement_id in (ids or []) for ids in awards)


def assign_engagement_course(ctx: LaunchContext, engagement_id: int, course_id: int) -> Engagement:
    """The student chooses the one course their engagement counts toward."""
    if ctx.role != "student":
        raise ForbiddenError("Only the student chooses where their work counts.")
    engagement = db.session.get(Engagement, engagement_id)
    if (
        engagement is None
        or engagement.tenant_id != ctx.tenant_id
        or engagement.student_id != ctx.user_id
    ):
        raise NotFoundError("This engagement is not yours or no longer exists.")
    if course_id not in {c.id for c in student_courses(ctx.tenant_id, ctx.user_id)}:
        raise PolicyViolationError(
            "Choose one of your courses that uses Career Credit.",
            hint="Open Career Credit from that course once so it appears here.",
        )
    if engagement.course_id == course_id:
        return engagement
    if engagement.status == "cancelled":
        raise PolicyViolationError("A canceled engagement counts toward no course.")
    if engagement.course_id is not None and engagement_in_award(ctx.tenant_id, engagement.id):
        raise PolicyViolationError(
            "Credit has already been awarded for this engagement in its course.",
            hint="Ask your instructor if it should count elsewhere.",
        )
    old = engagement.course_id
    engagement.course_id = course_id
    audit.record(
        ctx.actor,
        "credit.engagement_course_chosen",
        ctx.tenant_id,
        engagement_id=engagement.id,
        from_course_id=old,
        to_course_id=course_id,
    )
    db.session.flush()
    return engagement


def student_deadlines(tenant_id: int, student_id: int) -> list[CalendarDate]:
    """The credit deadlines of the courses the student's engagements count toward: the
    student's calendar feed shows them (``internships.workspace.plan``)."""
    rows = db.session.execute(
        select(CreditPolicy.id, CreditPolicy.deadline, Course.title)
        .join(Course, Course.id == CreditPolicy.course_id)
        .where(
            CreditPolicy.tenant_id == tenant_id,
            CreditPolicy.deadline.is_not(None),
            CreditPolicy.course_id.in_(
                select(Engagement.course_id).where(
                    Engagement.tenant_id == tenant_id,
                    Engagement.student_id == student_id,
                    Engagement.status != "cancelled",
                )
            ),
        )
        .order_by(CreditPolicy.id)
    )
    return [
        CalendarDate(
            f"credit-deadline-{policy_id}",
            f"Credit deadline: {title or 'your course'}",
            deadline,
            "Hours worked after this day do not count toward the course's credit.",
        )
        for policy_id, deadline, title in rows
        if deadline is not None
    ]
