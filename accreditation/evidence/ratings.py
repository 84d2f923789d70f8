"""Faculty rubric ratings (a direct measure) and student self-assessment (an indirect one).

A faculty member of the engagement's course rates each course outcome of the course (those
mapped in the crosswalk, or all when none is mapped yet) and each competency the engagement
targets; a student rates themselves on the targeted competencies. Each rating is one evidence
row whose ``origin`` names the engagement and the item, so rating again corrects the row (the
change is audited) rather than adding another. Rubric ratings of course outcomes read from the
LMS are written back to it through the outbox (``accreditation.writeback``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accreditation.frameworks.crosswalk import GROUP_TYPE
from accreditation.frameworks.models import (
    DEFAULT_SCALE,
    Framework,
    FrameworkItem,
    OutcomeAlignment,
)
from accreditation.frameworks.services import builtin_framework
from internships.work.models import Engagement
from internships.work.services.engagements import get_engagement_by_id
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from .models import METHODS, Evidence
from .services import items_by_name

FACULTY_RUBRIC = "faculty_rubric"
SELF_ASSESSMENT = "self_assessment"
COMMENT_MAX = 2000


@dataclass(frozen=True)
class SheetRow:
    """One outcome or competency to rate, with the rating already given (if any)."""

    item: FrameworkItem
    group: str  # "Course outcomes" | "Career competencies"
    level: int | None
    comment: str
    rated: bool

    @property
    def name(self) -> str:
        return self.item.current.name


@dataclass(frozen=True)
class Sheet:
    engagement: Engagement
    rows: list[SheetRow]
    scale: list[str]


@dataclass(frozen=True)
class Rating:
    level: int | None  # 1..len(scale); None: not applicable
    comment: str = ""


def _origin(method: str, engagement_id: int, item_id: int) -> str:
    return f"{method}:{engagement_id}:{item_id}"


def _course_outcomes(tenant_id: int, course_id: int) -> list[FrameworkItem]:
    """The course's outcomes to rate: those mapped in the crosswalk, or all if none is."""
    items = list(
        db.session.scalars(
            select(FrameworkItem)
            .join(Framework, Framework.id == FrameworkItem.framework_id)
            .where(
                Framework.tenant_id == tenant_id,
                Framework.kind == "course",
                Framework.course_id == course_id,
                Framework.status == "active",
                FrameworkItem.status == "active",
                FrameworkItem.item_type != GROUP_TYPE,
            )
            .options(selectinload(FrameworkItem.versions), selectinload(FrameworkItem.framework))
            .order_by(Framework.id, FrameworkItem.position, FrameworkItem.id)
        )
    )
    mapped = set(
        db.session.scalars(
            select(OutcomeAlignment.source_item_id).where(
                OutcomeAlignment.tenant_id == tenant_id, OutcomeAlignment.course_id == course_id
            )
        )
    )
    return [i for i in items if i.id in mapped] if mapped else items


def _competencies(tenant_id: int, engagement: Engagement) -> list[FrameworkItem]:
    """The NACE items the engagement targets (by any name they have had)."""
    nace = builtin_framework(tenant_id)
    if nace is None:  # set up at launch; a sheet without it lists no competencies
        return []
    by_name = items_by_name(nace.id)
    out: list[FrameworkItem] = []
    for name in engagement.competencies or []:
        item = by_name.get(name)
        if item is not None and item not in out:
            out.append(item)
    return out


def _existing(tenant_id: int, method: str, engagement_id: int) -> dict[int, Evidence]:
    rows = db.session.scalars(
        select(Evidence).where(
            Evidence.tenant_id == tenant_id,
            Evidence.engagement_id == engagement_id,
            Evidence.method == method,
        )
    )
    return {r.item_id: r for r in rows}


def _sheet(
    tenant_id: int, engagement: Engagement, method: str, groups: list[tuple[str, list]]
) -> Sheet:
    given = _existing(tenant_id, method, engagement.id)
    rows = [
        SheetRow(
            item,
            group,
            given[item.id].level if item.id in given else None,
            given[item.id].comment if item.id in given else "",
            item.id in given,
        )
        for group, items in groups
        for item in items
    ]
    return Sheet(engagement, rows, list(DEFAULT_SCALE))


def _faculty_engagement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors rate outcomes.")
    engagement = get_engagement_by_id(ctx.tenant_id, engagement_id)
    if engagement.course_id != ctx.course_id:
        raise NotFoundError("That engagement is not in this course.")
    return engagement


def faculty_sheet(ctx: LaunchContext, engagement_id: int) -> Sheet:
    """The rubric a faculty member fills in for one engagement of their course."""
    engagement = _faculty_engagement(ctx, engagement_id)
    course_id = int(engagement.course_id or 0)  # the launch's course, checked above
    return _sheet(
        ctx.tenant_id,
        engagement,
        FACULTY_RUBRIC,
        [
            ("Course outcomes", _course_outcomes(ctx.tenant_id, course_id)),
            ("Career competencies", _competencies(ctx.tenant_id, engagement)),
        ],
    )


def _student_engagement(ctx: LaunchContext, engagement_id: int) -> Engagement:
    engagement = get_engagement_by_id(ctx.tenant_id, engagement_id)
    if ctx.role != "student" or engagement.student_id != ctx.user_id:
        raise NotFoundError("That engagement is not one of yours.")
    return engagement


def self_sheet(ctx: LaunchContext, engagement_id: int) -> Sheet:
    """The self-assessment a student fills in for one of their engagements."""
    engagement = _student_engagement(ctx, engagement_id)
    return _sheet(
        ctx.tenant_id,
        engagement,
        SELF_ASSESSMENT,
        [("Career competencies", _competencies(ctx.tenant_id, engagement))],
    )


def _record(
    ctx: LaunchContext, sheet: Sheet, method: str, ratings: dict[int, Rating]
) -> list[Evidence]:
    """Upsert one evidence row per rated item; returns the rows added or changed."""
    if not sheet.rows:
        raise PolicyViolationError(
            "There is nothing to rate for this internship yet.",
            hint="Read the course's outcomes from the LMS or map them in the crosswalk first."
            if method == FACULTY_RUBRIC
            else "Your learning agreement names no competencies yet.",
            reason="nothing_to_rate",
        )
    for row in sheet.rows:
        rating = ratings.get(row.item.id)
        if rating is None:
            raise PolicyViolationError(
                f"Rate “{row.name}” or choose “Not applicable”.", reason="rating_missing"
            )
        if rating.level is not None and not 1 <= rating.level <= len(sheet.scale):
            raise PolicyViolationError(f"Choose a level for “{row.name}”.", reason="rating_level")
    engagement = sheet.engagement
    given = _existing(ctx.tenant_id, method, engagement.id)
    now = utcnow()
    changed: list[Evidence] = []
    for row in sheet.rows:
        rating = ratings[row.item.id]
        comment = rating.comment.strip()[:COMMENT_MAX]
        evidence = given.get(row.item.id)
        if evidence is not None and (evidence.level, evidence.comment) == (rating.level, comment):
            continue
        if evidence is None:
            evidence = Evidence(
                tenant_id=ctx.tenant_id,
                student_id=engagement.student_id,
                engagement_id=engagement.id,
                course_id=engagement.course_id,
                listing_id=engagement.listing_id,
                item_id=row.item.id,
                source=METHODS[method],
                method=method,
                origin=_origin(method, engagement.id, row.item.id),
            )
            db.session.add(evidence)
        evidence.item_version_id = row.item.current.id
        evidence.level = rating.level
        evidence.comment = comment
        evidence.rater = (ctx.user_name or ctx.user_email or f"user {ctx.user_id}")[:255]
        evidence.observed_at = now
        evidence.recorded_at = now
        changed.append(evidence)
    if changed:
        audit.record(
            ctx.actor,
            f"evidence.{method}",
            ctx.tenant_id,
            engagement_id=engagement.id,
            items=[e.item_id for e in changed],
        )
    db.session.flush()
    return changed


def rate_engagement(
    ctx: LaunchContext, engagement_id: int, ratings: dict[int, Rating]
) -> tuple[list[Evidence], list[str]]:
    """Record a faculty member's rubric ratings (direct evidence) and queue the write-back of
    the course-outcome ratings to the LMS in the same transaction; flushes. Returns the rows
    changed and what could not be queued for the LMS."""
    from accreditation.writeback import services as writeback

    sheet = faculty_sheet(ctx, engagement_id)
    changed = _record(ctx, sheet, FACULTY_RUBRIC, ratings)
    notes = writeback.queue_for_ratings(ctx, sheet.engagement, changed).notes if changed else []
    return changed, notes


def assess_self(
    ctx: LaunchContext, engagement_id: int, ratings: dict[int, Rating]
) -> list[Evidence]:
    """Record a student's self-assessment (indirect evidence); flushes."""
    return _record(ctx, self_sheet(ctx, engagement_id), SELF_ASSESSMENT, ratings)


def course_engagements(ctx: LaunchContext) -> list[Engagement]:
    """The engagements of the faculty member's course, for choosing whom to rate."""
    if ctx.course_id is None:
        return []
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(Engagement)
            .options(joinedload(Engagement.student), joinedload(Engagement.listing))
            .where(
                Engagement.tenant_id == ctx.tenant_id,
                Engagement.course_id == ctx.course_id,
                Engagement.status != "cancelled",
            )
            .order_by(Engagement.id)
        )
    )


def student_engagements(ctx: LaunchContext) -> list[Engagement]:
    """The student's own engagements, for choosing which to self-assess."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(Engagement)
            .options(joinedload(Engagement.listing))
            .where(
                Engagement.tenant_id == ctx.tenant_id,
                Engagement.student_id == ctx.user_id,
                Engagement.status != "cancelled",
            )
            .order_by(Engagement.id)
        )
    )
