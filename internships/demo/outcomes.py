"""The demo's outcome evidence, so every advisor page has something to show: this term's
supervisor ratings (recorded from the evaluations, as the scheduled sync records them) and the
students' self-assessments (through the rating service, as a student submits one), and two
earlier terms of BUS 390 and CS 195 with faculty rubric ratings and self-assessments whose
levels rise from term to term (the trend page). Several competencies, every level, several
students; idempotent (each row's ``origin`` is unique per tenant)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db

DEMO_ORIGIN = "demo:"
FACULTY = "priya-raman"
# Earlier offerings: (term, start, end, course key, {student: {competency: (rubric, self)}}).
PAST_TERMS: tuple[tuple[str, dt.date, dt.date, str, dict[str, dict[str, tuple[int, int]]]], ...] = (
    (
        "Fall 2025",
        dt.date(2025, 8, 25),
        dt.date(2025, 12, 12),
        "bus-390",
        {
            "amara-okafor": {
                "Communication": (2, 3),
                "Teamwork": (2, 2),
                "Professionalism": (3, 3),
            },
            "emily-nguyen": {"Teamwork": (3, 3), "Leadership": (2, 3), "Professionalism": (2, 3)},
            "farah-haddad": {"Communication": (1, 2), "Critical Thinking": (1, 2)},
            "benjamin-tran": {"Communication": (1, 2), "Critical Thinking": (2, 2)},
        },
    ),
    (
        "Spring 2026",
        dt.date(2026, 1, 12),
        dt.date(2026, 5, 8),
        "cs-195",
        {
            "amara-okafor": {"Communication": (3, 3), "Critical Thinking": (3, 4)},
            "chloe-martin": {"Communication": (3, 3), "Teamwork": (4, 3), "Leadership": (2, 3)},
            "diego-ramirez": {
                "Technology": (3, 4),
                "Critical Thinking": (2, 3),
                "Career & Self-Development": (2, 3),
            },
            "grace-kim": {"Technology": (4, 4), "Communication": (2, 3)},
        },
    ),
)
# This term's self-assessments: the level each student gives themselves on every competency
# their engagement targets (a pattern over the competencies, in the agreement's order).
SELF_LEVELS = {"chloe-martin": (4, 3), "benjamin-tran": (3, 2), "grace-kim": (3, 4)}


def _past_course(tenant_id: int, issuer: str, term: tuple[Any, ...]) -> Any:
    """An earlier offering of a sandbox course, as its launches made it."""
    from lti_tool.models import Course
    from lti_tool.sandbox import seed

    name, start, end, key = term[:4]
    label, title = next((label, title) for k, label, title in seed.COURSES if k == key)
    context_id = seed.stable_id(f"course:{key}:{name}")
    course = db.session.scalar(
        select(Course).where(
            Course.tenant_id == tenant_id, Course.issuer == issuer, Course.context_id == context_id
        )
    )
    if course is None:
        course = Course(
            tenant_id=tenant_id,
            issuer=issuer,
            context_id=context_id,
            title=title,
            label=label,
            term_name=name,
            term_start=start.isoformat(),
            term_end=end.isoformat(),
        )
        db.session.add(course)
        db.session.flush()
    return course


def _past_evidence(tenant_id: int, users: dict[str, Any], issuer: str) -> int:
    """Faculty rubric ratings (direct) and self-assessments (indirect) of the earlier terms."""
    from accreditation.evidence.models import METHODS, Evidence
    from accreditation.evidence.services import items_by_name
    from accreditation.frameworks.services import ensure_builtin_frameworks

    by_name = items_by_name(ensure_builtin_frameworks(tenant_id).id)
    existing = set(
        db.session.scalars(
            select(Evidence.origin).where(
                Evidence.tenant_id == tenant_id, Evidence.origin.startswith(DEMO_ORIGIN)
            )
        )
    )
    rater = users[FACULTY]
    added = 0
    for term in PAST_TERMS:
        course = _past_course(tenant_id, issuer, term)
        observed = dt.datetime.combine(term[2] - dt.timedelta(days=7), dt.time(15))
        for student, levels in term[4].items():
            for competency, pair in levels.items():
                item = by_name[competency]
                for method, level in zip(("faculty_rubric", "self_assessment"), pair, strict=True):
                    origin = f"{DEMO_ORIGIN}{term[0]}:{student}:{item.id}:{method}"
                    if origin in existing:
                        continue
                    db.session.add(
                        Evidence(
                            tenant_id=tenant_id,
                            student_id=users[student].id,
                            course_id=course.id,
                            item_id=item.id,
                            item_version_id=item.current.id,
                            level=level,
                            source=METHODS[method],
                            method=method,
                            rater=rater.name if method == "faculty_rubric" else users[student].name,
                            comment="",
                            observed_at=observed,
                            recorded_at=observed,
                            origin=origin,
                        )
                    )
                    added += 1
    db.session.flush()
    return added


def _self_assessments(tenant_id: int, users: dict[str, Any], courses: dict[str, Any]) -> int:
    """This term's self-assessments, through the rating service (skipped when given)."""
    from accreditation.evidence.ratings import Rating, assess_self, self_sheet
    from internships.work.models import Engagement

    from .people import demo_context

    added = 0
    for student, pattern in SELF_LEVELS.items():
        user = users[student]
        engagements = db.session.scalars(
            select(Engagement).where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == user.id,
                Engagement.status.in_(("submitted", "completed")),
            )
        )
        for engagement in engagements:
            course = next((c for c in courses.values() if c.id == engagement.course_id), None)
            ctx = demo_context(tenant_id, user, "student", course)
            sheet = self_sheet(ctx, engagement.id)
            if not sheet.rows or any(row.rated for row in sheet.rows):
                continue
            ratings = {
                row.item.id: Rating(pattern[n % len(pattern)], "")
                for n, row in enumerate(sheet.rows)
            }
            added += len(assess_self(ctx, engagement.id, ratings))
    return added


def seed_outcomes(tenant_id: int, users: dict[str, Any], courses: dict[str, Any]) -> int:
    """The demo's outcome evidence (see the module); returns how many rows were added.
    Run after the work (its evaluations); flushes, the caller commits."""
    from accreditation.evidence.services import sync_supervisor_evidence

    from .people import _issuer

    added = sync_supervisor_evidence(tenant_id)
    added += _self_assessments(tenant_id, users, courses)
    added += _past_evidence(tenant_id, users, _issuer(tenant_id))
    return added
