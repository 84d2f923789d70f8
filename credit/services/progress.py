"""Credit progress per student and course: approved and pending hours, credits earned and
eligible, the artefact checklist the policy demands, and where the student stands.

All figures for a course come from a handful of grouped queries (no query per student), so a
roster of thousands renders quickly.

Which work counts: engagements in the course that the student finished (``submitted`` or
``completed``); hours count once confirmed and, when the policy has a deadline, only for days
up to it. Active engagements show their hours as progress but are not counted yet; cancelled
ones never count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from lti_tool.db_helpers import plan_for_values
from lti_tool.extensions import db
from lti_tool.models import User

from ..models import CreditAward, CreditDecision, CreditPolicy
from . import progress_statements as statements
from .course_statement import course_people_statement
from .policy import default_rules, read_policies
from .standing import (
    COUNTED,
    UNDER_WAY,
    ChecklistItem,
    DefaultRules,
    EngagementProgress,
    Rules,
    StudentProgress,
    credits_by_hours,
    state_of,
    sum_up,
)

Key = tuple[int, int]  # (student, course)


def course_progress(
    tenant_id: int,
    course_id: int,
    student_ids: list[int] | None = None,
    policy: CreditPolicy | None = None,
) -> list[StudentProgress]:
    """Progress of every student of the course known to the tool (or of ``student_ids``),
    sorted by name (under ``policy`` when the caller read the course's policy already)."""
    if student_ids is None:  # the whole course: its award history decides the plans
        plan_for_values()
    found = _progress(
        tenant_id, [course_id], student_ids, policies={course_id: policy} if policy else None
    )
    return sorted(found.values(), key=lambda p: (p.name.casefold(), p.student_id))


QUEUED = ("ready", "resubmitted")  # the review queue's states
_UNDONE = [ChecklistItem("checklist", "", False)]  # a checklist known not to be complete


def course_states(
    tenant_id: int, course_id: int, preview: int
) -> tuple[Counter[str], list[StudentProgress]]:
    """The course's students counted by state (``course_progress``'s states), and the first
    ``preview`` students of its review queue (``QUEUED``) by name with their full figures: what
    the instructor's home shows. Only the shown students' checklists are built with their
    words; the others' state needs only whether theirs is complete."""
    plan_for_values()  # the course's award history decides the plans (a soak's p95: 300 ms)
    policy = read_policies(tenant_id, [course_id])[course_id]
    rules = plain_rules(policy)
    params = {"tenant_id": tenant_id, "course_ids": [course_id]}
    students, awards, decisions = _course_people(params)
    engagements, owner = _engagements(params, False)
    for eid, e in engagements.items():
        if owner[eid] in students:
            students[owner[eid]].engagements.append(e)
    counts: Counter[str] = Counter()
    queue = []
    for key, p in students.items():
        award, decision = awards.get(key), decisions.get(key)
        if award is not None and decision is not None and decision.created_at <= award.created_at:
            decision = None  # older than the current award: _sum_up leaves it out too
        p.award, p.last_decision = award, decision
        p.credits_by_hours = credits_by_hours(p, rules)
        denied = decision is not None and decision.kind == "denied"
        if award is None and not denied and p.credits_by_hours > 0:  # the state reads it
            p.checklist = [] if checklist_complete(p, rules) else _UNDONE
        p.state = state_of(p)
        counts[p.state] += 1
        if p.state in QUEUED:
            queue.append(p)
    queue.sort(key=lambda p: (p.name.casefold(), p.student_id))
    shown = []
    for q in queue[:preview]:
        p = StudentProgress(q.student_id, q.course_id, q.name, q.email, q.sub)
        p.engagements = q.engagements
        sum_up(p, policy, q.award, q.last_decision, rules)
        shown.append(p)
    return counts, shown


def checklist_complete(p: StudentProgress, rules: Rules) -> bool:
    """Whether every item of ``checklist_for(p, rules)`` is done, its words not written (the
    same tests: ``tests/credit/test_faculty_home.py`` holds the two equal). One pass over the
    counted engagements, no generator per test: the instructor's home asks for each student
    with credits by hours."""
    low = rules.min_rating
    counted, minutes, agreed, evaluated, reflected, above = _counted_work(p.engagements, low)
    if rules.max_credits <= 0 or minutes < rules.hours_per_credit * 60:
        return False
    if rules.require_agreement and not counted:  # the engagements under way stand in
        under_way = [e for e in p.engagements if e.status in UNDER_WAY]
        agreed = bool(under_way) and all(e.agreement for e in under_way)
    if rules.require_agreement and not agreed:
        return False
    if (rules.require_evaluation or low) and not (counted and evaluated):
        return False
    if rules.require_reflection and not (counted and reflected):
        return False
    return not (low and not above)


def _counted_work(
    engagements: list[EngagementProgress], low: int | None
) -> tuple[bool, int, bool, bool, bool, bool]:
    """Of the counted engagements: whether there is one, their minutes inside the deadline,
    whether each was agreed, evaluated, reflected on, and rated at ``low`` or above."""
    counted, minutes, agreed, evaluated, reflected, above = False, 0, True, True, True, True
    for e in engagements:
        if e.status in COUNTED:
            counted = True
            minutes += e.approved_minutes - e.late_minutes
            agreed = agreed and e.agreement
            evaluated = evaluated and e.evaluation
            reflected = reflected and e.reflection
            rating = e.lowest_rating
            above = above and not (low and rating is not None and rating < low)
    return counted, minutes, agreed, evaluated, reflected, above


def _progress(
    tenant_id: int,
    course_ids: list[int],
    student_ids: list[int] | None,
    courses_known: bool = False,
    policies: dict[int, Rules] | None = None,
    decided: tuple[dict[Key, CreditAward], dict[Key, CreditDecision]] | None = None,
    person: tuple[int, str | None, str | None, str] | None = None,
    without_work: bool = False,
) -> dict[Key, StudentProgress]:
    """Progress by (student, course) for the courses of ``course_ids``: of their enrolled
    students (and anyone with work counted there), or of each of ``student_ids`` in each
    course: a roster's people come with their awards and decisions in one statement
    (``course_statement``), given students' from the grouped queries of ``progress_statements``.
    ``courses_known``: the caller read the courses from the tenant's own rows; ``policies``:
    the courses' policies, ``decided``: the current awards and latest decisions, ``person``:
    the one student's (id, name, email, sub), when the caller read them; ``without_work``:
    the caller knows the given students have no engagement counted in these courses."""
    if policies is None:
        policies = read_policies(tenant_id, course_ids, courses_known)
    params = {"tenant_id": tenant_id, "course_ids": course_ids, "student_ids": student_ids}
    by_students = student_ids is not None
    if by_students:
        students = _students(tenant_id, course_ids, student_ids, person)
        engagements, owner = ({}, {}) if without_work else _engagements(params, by_students)
        # Students with work counted here but no launch into the course yet still appear.
        _add_students(students, tenant_id, set(owner.values()) - set(students))
        awards, decisions = decided or (
            _current_awards(params, by_students),
            _latest_decisions(params, by_students),
        )
    else:  # a roster: its people come with their awards and decisions, work or not
        students, read_awards, read_decisions = _course_people(params)
        awards, decisions = decided or (read_awards, read_decisions)
        engagements, owner = _engagements(params, by_students)
    for eid, e in engagements.items():
        if owner[eid] in students:
            students[owner[eid]].engagements.append(e)
    # The rules as plain values: a stored policy's attributes are instrumented, and each
    # student's figures read them a dozen times.
    rules = {cid: plain_rules(policy) for cid, policy in policies.items()}
    for key, p in students.items():
        sum_up(p, policies[p.course_id], awards.get(key), decisions.get(key), rules[p.course_id])
    return students


def _course_people(
    params: dict[str, Any],
) -> tuple[dict[Key, StudentProgress], dict[Key, CreditAward], dict[Key, CreditDecision]]:
    """The courses' students (enrolled, or with work counted there), no figures yet, with
    their current awards and latest decisions: one statement."""
    students: dict[Key, StudentProgress] = {}
    awards: dict[Key, CreditAward] = {}
    decisions: dict[Key, CreditDecision] = {}
    rows = db.session.execute(course_people_statement(), _bound(params))
    for uid, name, email, sub, cid, award, decision in rows:
        key = (uid, cid)
        students[key] = StudentProgress(uid, cid, name or "", email or "", sub)
        if award is not None:
            awards[key] = award
        if decision is not None:
            decisions[key] = decision
    return students, awards, decisions


def plain_rules(policy: Rules) -> Rules:
    """``policy``'s rules as a plain value for the standing's functions, which read them per
    student (the tenant's ``DefaultRules`` are one already)."""
    if isinstance(policy, DefaultRules):
        return policy
    return DefaultRules(
        hours_per_credit=policy.hours_per_credit,
        max_credits=policy.max_credits,
        allow_stacking=policy.allow_stacking,
        require_agreement=policy.require_agreement,
        require_evaluation=policy.require_evaluation,
        require_reflection=policy.require_reflection,
        grading_mode="",  # the standing reads neither: only its rules are copied
        approval_chain="",
        min_rating=policy.min_rating,
        deadline=policy.deadline,
    )


def _students(
    tenant_id: int,
    course_ids: list[int],
    student_ids: list[int] | None,
    person: tuple[int, str | None, str | None, str] | None = None,
) -> dict[Key, StudentProgress]:
    """The courses' enrolled students (or the people of ``student_ids`` in every course), no
    figures yet."""
    if student_ids is None:
        rows = db.session.execute(
            statements.students_statement(False),
            {"tenant_id": tenant_id, "course_ids": course_ids},
        )
        return {
            (uid, cid): StudentProgress(uid, cid, name or "", email or "", sub)
            for uid, name, email, sub, cid in rows
        }
    people: Iterable[tuple[int, str | None, str | None, str]]
    if person is not None and student_ids == [person[0]]:  # read with the student's courses
        people = [person]
    elif len(student_ids) == 1:  # one student's page: the request may hold the person already
        user = db.session.get(User, student_ids[0])
        valid = user is not None and user.tenant_id == tenant_id
        people = [(user.id, user.name, user.email, user.sub)] if user and valid else []
    else:
        people = db.session.execute(
            statements.students_statement(True),
            {"tenant_id": tenant_id, "student_ids": student_ids},
        ).tuples()
    found = {}
    for uid, name, email, sub in people:
        for cid in course_ids:
            found[(uid, cid)] = StudentProgress(uid, cid, name or "", email or "", sub)
    return found


def _engagements(
    params: dict[str, Any], by_students: bool
) -> tuple[dict[int, EngagementProgress], dict[int, Key]]:
    """The engagements by id with their minutes, and the (student, course) each belongs to."""
    engagements: dict[int, EngagementProgress] = {}
    rows = db.session.execute(statements.engagements_statement(by_students), _bound(params))
    owner: dict[int, Key] = {}
    for eid, sid, cid, status, planned, ack, title, reflected, evaluated, lowest, *hours in rows:
        if cid is None:  # the filter names the courses; an engagement without one is not here
            continue
        approved, late, pending, queried = hours
        engagements[eid] = EngagementProgress(
            eid,
            title,
            "",
            status,
            planned or 0,
            approved_minutes=int(approved or 0),
            pending_minutes=int(pending or 0),
            queried_minutes=int(queried or 0),
            late_minutes=int(late or 0),
            agreement=ack is not None,
            reflection=bool(reflected),
            evaluation=bool(evaluated),
            lowest_rating=lowest if evaluated else None,
        )
        owner[eid] = (sid, cid)
    return engagements, owner


def _bound(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a statement binds (``student_ids`` only when given)."""
    return {k: v for k, v in params.items() if v is not None}


def _add_students(students: dict[Key, StudentProgress], tenant_id: int, missing: set[Key]) -> None:
    """Add the (student, course) pairs of ``missing`` (work in the course, no enrolment)."""
    if not missing:
        return
    people = db.session.execute(
        statements.students_statement(True),
        {"tenant_id": tenant_id, "student_ids": sorted({uid for uid, _ in missing})},
    )
    by_id = {uid: (name, email, sub) for uid, name, email, sub in people}
    for uid, cid in missing:
        if uid not in by_id:  # not a person of this tenant: nothing to show
            continue
        name, email, sub = by_id[uid]
        students[(uid, cid)] = StudentProgress(uid, cid, name or "", email or "", sub)


def _current_awards(params: dict[str, Any], by_students: bool) -> dict[Key, CreditAward]:
    """The courses' current award per (student, course) (not superseded, not declined)."""
    found = db.session.scalars(statements.awards_statement(by_students), _bound(params))
    return {(a.student_id, a.course_id): a for a in found}


def _latest_decisions(params: dict[str, Any], by_students: bool) -> dict[Key, CreditDecision]:
    """The courses' latest decision per (student, course)."""
    found = db.session.scalars(statements.decisions_statement(by_students), _bound(params))
    return {(d.student_id, d.course_id): d for d in found}


def student_progress(
    tenant_id: int,
    course_id: int,
    student_id: int,
    policy: CreditPolicy | None = None,
    history: tuple[Sequence[CreditAward], Sequence[CreditDecision]] | None = None,
) -> StudentProgress:
    """One student's progress in one course (under ``policy`` when the caller read the
    course's policy already; from ``history``, the student's awards and decisions there newest
    first as ``award_history`` and ``decision_history`` give them, when the caller read it)."""
    decided = None
    if history is not None:
        key, (awards, decisions) = (student_id, course_id), history
        current = next(
            (a for a in awards if a.superseded_at is None and a.status != "declined"), None
        )
        decided = ({key: current} if current else {}, {key: decisions[0]} if decisions else {})
    found = list(
        _progress(
            tenant_id,
            [course_id],
            [student_id],
            policies={course_id: policy} if policy else None,
            decided=decided,
        ).values()
    )
    if not found:
        user = db.session.get(User, student_id)
        name = user.name if user else ""
        return StudentProgress(student_id, course_id, name, "", user.sub if user else "")
    return found[0]


def student_progress_all_courses(tenant_id: int, student_id: int) -> list[StudentProgress]:
    """A student's progress in every course where they are a student or have work counted,
    by course (each with its ``course_title``): two statements whatever the number of courses,
    the courses (with the student, the policies, awards and decisions) and the engagements
    (one, the courses, when the student has no work in them: a new student's first launch)."""
    courses = db.session.execute(
        statements.their_courses_statement(), {"tenant_id": tenant_id, "student_id": student_id}
    ).all()
    if not courses:
        return []
    person = (student_id, *courses[0][2:5])  # name, email, sub: read with the courses
    titles: dict[int, str | None] = {}
    policies: dict[int, Rules] = {}
    awards: dict[Key, CreditAward] = {}
    decisions: dict[Key, CreditDecision] = {}
    defaults: Rules | None = None
    rules = len(statements.RULE_COLUMNS)
    for cid, title, _, _, _, *rest in courses:
        titles[cid] = title
        stored, (award, decision, _) = rest[:rules], rest[rules:]
        if stored[0] is None:  # no policy stored: the tenant's defaults, read once
            policies[cid] = defaults = defaults or default_rules(tenant_id)
        else:  # its rules as a plain value (``plain_rules`` keeps it)
            policies[cid] = DefaultRules(*stored)
        if award is not None:
            awards[(student_id, cid)] = award
        if decision is not None:
            decisions[(student_id, cid)] = decision
    ids = list(titles)
    found = _progress(
        tenant_id,
        ids,
        [student_id],
        True,
        policies,
        (awards, decisions),
        person=person,
        without_work=not any(row[-1] for row in courses),
    )
    rows = [found[(student_id, cid)] for cid in ids if (student_id, cid) in found]
    for p in rows:
        p.course_title = titles[p.course_id] or ""
    return rows
