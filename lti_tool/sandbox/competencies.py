"""The sandbox LMS's competencies, as a Moodle site has them: one competency framework (career
readiness, NACE-like), the competencies linked to each sandbox course, and the course ratings
Moodle's web services receive (``lti_tool.sandbox.webservice``).

The framework and the course links are the sandbox's fixed configuration (like its courses and
people, restored as they are by every seed); ratings are stored as results of one line item per
course and competency, tagged ``COMPETENCY_TAG`` so that AGS and the gradebook never show them,
and dropped by ``sandbox reset`` with the gradebook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import utcnow
from .models import SandboxCourse, SandboxLineItem, SandboxPerson, SandboxResult
from .services.common import COMPETENCY_TAG

FRAMEWORK_ID = 3
FRAMEWORK = {
    "id": FRAMEWORK_ID,
    "shortname": "Career Readiness",
    "idnumber": "CRC",
    "description": "<p>The career readiness competencies every program assesses (after the "
    "NACE competencies).</p>",
    "scaleid": 2,
}
# The framework's scale, as Career Credit's rubric levels (1..4).
SCALE = ("Emerging Knowledge", "Understanding", "Early Application", "Advanced Application")
EPOCH = 1_754_006_400  # 2025-08-01, when the framework was made


@dataclass(frozen=True)
class Competency:
    id: int
    shortname: str
    idnumber: str
    description: str
    parent_id: int = 0


COMPETENCIES = {
    c.id: c
    for c in (
        Competency(
            21,
            "Communication",
            "CRC-COM",
            "<p>Speaks and writes clearly to people inside and outside the organization.</p>",
        ),
        Competency(
            22,
            "Career & Self-Development",
            "CRC-CSD",
            "<p>Knows their strengths, seeks feedback and plans their next steps.</p>",
        ),
        Competency(
            23,
            "Critical Thinking",
            "CRC-CT",
            "<p>Weighs evidence to make sound decisions and solve problems.</p>",
        ),
        Competency(
            25,
            "Leadership",
            "CRC-LEAD",
            "<p>Motivates others and organizes shared work toward a goal.</p>",
        ),
        Competency(
            26,
            "Professionalism",
            "CRC-PRO",
            "<p>Is reliable, ethical and accountable for their work.</p>",
        ),
        Competency(
            27,
            "Teamwork",
            "CRC-TEAM",
            "<p>Works with others toward shared goals and manages conflict.</p>",
        ),
        Competency(
            28,
            "Technology",
            "CRC-TECH",
            "<p>Uses technology ethically and well to complete tasks.</p>",
        ),
        Competency(
            31,
            "Written reports",
            "CRC-COM-W",
            "<p>Writes reports an employer can act on: structured, sourced and concise.</p>",
            parent_id=21,
        ),
    )
}
# The competencies linked to each sandbox course, in the course's order.
COURSE_COMPETENCIES = {
    "bus-390": (21, 31, 23, 26, 27, 25),
    "cs-195": (28, 23, 21, 22),
}


def course_competencies(course: SandboxCourse) -> list[Competency]:
    """The competencies linked to the course, in its order."""
    return [COMPETENCIES[i] for i in COURSE_COMPETENCIES.get(course.key, ())]


def moodle_course_id(course: SandboxCourse) -> int:
    """The course's id as Moodle's web services name it (its LTI context id)."""
    return int(course.context_id)


def find_course(moodle_id: int) -> SandboxCourse | None:
    return db.session.scalar(
        select(SandboxCourse).where(SandboxCourse.context_id == str(moodle_id))
    )


def find_person(user_id: int) -> SandboxPerson | None:
    return db.session.scalar(select(SandboxPerson).where(SandboxPerson.user_id == str(user_id)))


def _holder(course: SandboxCourse, competency: Competency) -> SandboxLineItem:
    """The line item that holds the course's ratings of one competency (made on first use)."""
    item = db.session.scalar(
        select(SandboxLineItem).where(
            SandboxLineItem.course_id == course.id,
            SandboxLineItem.tag == COMPETENCY_TAG,
            SandboxLineItem.resource_id == str(competency.id),
        )
    )
    if item is None:
        item = SandboxLineItem(
            course=course,
            label=competency.shortname,
            score_maximum=float(len(SCALE)),
            resource_id=str(competency.id),
            tag=COMPETENCY_TAG,
        )
        db.session.add(item)
        db.session.flush()
    return item


def rate(
    course: SandboxCourse, person: SandboxPerson, competency: Competency, grade: int, note: str
) -> SandboxResult:
    """Set the person's rating of the competency in the course (a repeat sets it again, as
    Moodle's course rating is a value); flushes."""
    item = _holder(course, competency)
    result = db.session.scalar(
        select(SandboxResult).where(
            SandboxResult.line_item_id == item.id, SandboxResult.person_id == person.id
        )
    )
    now = utcnow()
    if result is None:
        result = SandboxResult(
            line_item=item,
            person=person,
            activity_progress="Completed",
            grading_progress="FullyGraded",
            score_posts=0,
            attempts=0,
        )
        db.session.add(result)
    result.score_given = float(grade)
    result.score_maximum = float(len(SCALE))
    result.comment = note
    result.timestamp = now.replace(microsecond=0).isoformat() + "Z"
    result.timestamp_utc = now
    result.score_posts = (result.score_posts or 0) + 1
    result.updated_at = now
    db.session.flush()
    return result


@dataclass(frozen=True)
class Rating:
    """A rating the course received, for the sandbox's competencies page."""

    person: SandboxPerson
    competency: str
    grade: int
    grade_name: str
    note: str
    when: dt.datetime
    times: int


def ratings(course: SandboxCourse) -> list[Rating]:
    """The course's competency ratings, newest first."""
    rows = db.session.scalars(
        select(SandboxResult)
        .join(SandboxLineItem)
        .where(SandboxLineItem.course_id == course.id, SandboxLineItem.tag == COMPETENCY_TAG)
        .options(joinedload(SandboxResult.person), joinedload(SandboxResult.line_item))
        .order_by(SandboxResult.updated_at.desc(), SandboxResult.id.desc())
    ).all()
    out = []
    for r in rows:
        grade = int(r.score_given or 0)
        out.append(
            Rating(
                person=r.person,
                competency=r.line_item.label,
                grade=grade,
                grade_name=SCALE[grade - 1] if 1 <= grade <= len(SCALE) else "",
                note=r.comment or "",
                when=r.timestamp_utc,
                times=r.score_posts,
            )
        )
    return out
