"""What a credential states, read from the records (no document shape here: ``documents``
builds the Open Badges / CLR JSON from these facts).

An engagement's facts: the listing and employer, the hours the supervisor (or faculty)
confirmed, the deliverables handed in, the supervisor's evaluation and its ratings, each rated
competency's item in the tenant's competency framework (for ``alignment``). An award's: the
course, credits, grade and the engagements it counted."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, bindparam, func, literal, select, union_all

from accreditation.frameworks import catalog
from accreditation.frameworks.models import (
    Framework,
    FrameworkItem,
    FrameworkItemVersion,
    OutcomeAlignment,
)
from accreditation.frameworks.services import ensure_builtin_frameworks
from credit.models import CreditAward
from internships.models import Employer, Listing
from internships.work.models import (
    RATING_LEVELS,
    CompetencyRating,
    Deliverable,
    Engagement,
    HourLog,
    SupervisorEvaluation,
)
from lti_tool.extensions import db
from lti_tool.models import Course, Tenant

from .. import proof

CASE_PATH = "/ims/case/v1p0/"


@dataclass(frozen=True)
class Target:
    """An outcome item a credential aligns to (an OB 3.0 ``Alignment``)."""

    name: str
    url: str  # the CASE CFItem URI where the framework has one, else the item's urn:uuid
    framework: str
    code: str
    description: str


@dataclass(frozen=True)
class Rating:
    competency: str
    level: int | None  # 1..4 of RATING_LEVELS; None: not applicable
    target: Target | None

    @property
    def level_name(self) -> str:
        return RATING_LEVELS[self.level - 1] if self.level else "Not applicable"


@dataclass(frozen=True)
class Handin:
    id: int
    title: str
    url: str | None  # a link the student handed in; None for an uploaded file
    created_at: dt.datetime


@dataclass(frozen=True)
class EngagementFacts:
    engagement_id: int
    tenant_id: int
    student_id: int
    listing_id: int
    title: str
    employer: str
    hours: float
    deliverables: tuple[Handin, ...]
    evaluated_on: dt.date
    supervisor_comment: str
    ratings: tuple[Rating, ...]
    outcomes: tuple[Target, ...] = ()  # course outcomes aligned to the rated competencies


@dataclass(frozen=True)
class AwardFacts:
    award_id: int
    tenant_id: int
    student_id: int
    course_id: int
    course_title: str
    credits: int
    grading_mode: str
    grade_label: str
    score_given: float
    score_maximum: float
    hours: float
    decided_on: dt.date
    engagements: tuple[str, ...]  # the titles of the work it counted
    targets: tuple[Target, ...] = field(default=())
    outcomes: tuple[Target, ...] = field(default=())  # the course's, aligned to those


def item_url(framework: Framework, item: FrameworkItem) -> str:
    """The item's CASE URI: the provider's ``CFItems/<identifier>`` for an imported CASE
    framework, else ``urn:uuid:<identifier>`` (the URI the tool's own CASE export gives it)."""
    source = framework.source_url or ""
    if framework.source == "case" and CASE_PATH in source:
        return f"{source.split(CASE_PATH)[0]}{CASE_PATH}CFItems/{item.identifier}"
    return f"urn:uuid:{item.identifier}"


def _target(framework: Framework, item: FrameworkItem) -> Target:
    return Target(
        name=item.current.name,
        url=item_url(framework, item),
        framework=framework.title,
        code=item.human_coding or item.current.name,
        description=item.current.statement,
    )


Named = dict[str, tuple[int, Target]]  # a competency's name -> its item's id and target


def _named_items(tenant_id: int, names: list[str]) -> Named | None:
    """The tenant's competency items known by these names, in one statement: an item's
    current name wins, else the first item (by position) that had the name before, as
    ``items_by_name`` resolves them. None when the framework is not stored yet."""
    known = select(FrameworkItemVersion.item_id).where(
        FrameworkItemVersion.tenant_id == tenant_id, FrameworkItemVersion.name.in_(names)
    )
    rows = db.session.execute(
        select(Framework, FrameworkItem, FrameworkItemVersion)
        .select_from(Framework)
        .outerjoin(
            FrameworkItem,
            (FrameworkItem.framework_id == Framework.id) & FrameworkItem.id.in_(known),
        )
        .outerjoin(FrameworkItemVersion, FrameworkItemVersion.item_id == FrameworkItem.id)
        .where(
            Framework.tenant_id == tenant_id,
            Framework.identifier == catalog.builtin_identifier(catalog.NACE.key),
        )
        .order_by(FrameworkItem.position, FrameworkItem.id, FrameworkItemVersion.number)
    ).all()
    if not rows:
        return None
    framework = rows[0][0]
    items: dict[int, tuple[FrameworkItem, list[FrameworkItemVersion]]] = {}
    for _framework, item, version in rows:
        if item is not None and version is not None:
            items.setdefault(item.id, (item, []))[1].append(version)
    by_name: dict[str, int] = {}
    for item_id, (_item, versions) in items.items():
        for version in versions[:-1]:
            by_name.setdefault(version.name, item_id)
    for item_id, (_item, versions) in items.items():
        by_name[versions[-1].name] = item_id
    found: Named = {}
    for name in names:
        if name in by_name:
            item, versions = items[by_name[name]]
            current = versions[-1]
            target = Target(
                name=current.name,
                url=item_url(framework, item),
                framework=framework.title,
                code=item.human_coding or current.name,
                description=current.statement,
            )
            found[name] = (item.id, target)
    return found


class Lookups:
    """The tenant's competency items by name, read once per run of many credentials for each
    set of names (a bulk issue reads them once, not once per credential), the course
    outcomes aligned to them, and the tenants issuing (``issuing.tenant_of``)."""

    def __init__(self) -> None:
        self.tenants: dict[int, Tenant] = {}  # kept for the run
        self._signers: dict[int, proof.Signer] = {}  # until ``committed``
        self._named: dict[tuple[int, tuple[str, ...]], Named] = {}
        self._outcomes: dict[tuple[int, int, tuple[str, ...]], tuple[Target, ...]] = {}

    def signer(self, tenant: Tenant) -> proof.Signer:
        """The key that signs for the tenant, read once per transaction of the run."""
        if tenant.id not in self._signers:
            self._signers[tenant.id] = proof.signer(tenant)
        return self._signers[tenant.id]

    def committed(self) -> None:
        """The run committed: the next credential signs with the key that signs now (a key
        rotated or retired meanwhile is seen)."""
        self._signers.clear()

    def _items(self, tenant_id: int, names: list[str]) -> Named:
        key = (tenant_id, tuple(sorted(set(names))))
        if not key[1]:
            return {}
        if key not in self._named:
            found = _named_items(tenant_id, list(key[1]))
            if found is None:  # the built-in framework, made on first use
                ensure_builtin_frameworks(tenant_id)
                found = _named_items(tenant_id, list(key[1])) or {}
            self._named[key] = found
        return self._named[key]

    def targets(self, tenant_id: int, names: list[str]) -> dict[str, Target]:
        """The competency framework's item of each name."""
        found = self._items(tenant_id, names)
        return {name: found[name][1] for name in names if name in found}

    def course_outcomes(
        self, tenant_id: int, course_id: int | None, names: list[str]
    ) -> tuple[Target, ...]:
        """The course's outcomes its instructor aligned (the crosswalk) to these
        competencies: what the work also evidenced, in the course's own framework."""
        if course_id is None or not names:
            return ()
        key = (tenant_id, course_id, tuple(sorted(names)))
        if key not in self._outcomes:
            found = self._items(tenant_id, names)
            ids = [found[n][0] for n in names if n in found]
            rows = db.session.execute(
                select(FrameworkItem, Framework)
                .join(OutcomeAlignment, OutcomeAlignment.source_item_id == FrameworkItem.id)
                .join(Framework, Framework.id == FrameworkItem.framework_id)
                .where(
                    OutcomeAlignment.tenant_id == tenant_id,
                    OutcomeAlignment.course_id == course_id,
                    OutcomeAlignment.target_item_id.in_(ids),
                    FrameworkItem.status == "active",
                )
                .order_by(Framework.id, FrameworkItem.position, FrameworkItem.id)
            ).all()
            # an outcome aligned to two of the competencies is named once (no DISTINCT: the
            # framework's JSON scale has no equality operator on PostgreSQL)
            unique = {item.id: (item, fw) for item, fw in rows}
            self._outcomes[key] = tuple(_target(fw, item) for item, fw in unique.values())
        return self._outcomes[key]


def engagement_facts(
    tenant_id: int, engagement_id: int, lookups: Lookups | None = None
) -> EngagementFacts | None:
    """The facts of a completed, evaluated engagement of the tenant; None otherwise."""
    minutes_confirmed = (
        select(func.coalesce(func.sum(HourLog.minutes), 0))
        .where(
            HourLog.tenant_id == tenant_id,
            HourLog.engagement_id == engagement_id,
            HourLog.status == "confirmed",
        )
        .scalar_subquery()
    )
    row = db.session.execute(
        select(Engagement, Listing.title, Employer.name, SupervisorEvaluation, minutes_confirmed)
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .join(SupervisorEvaluation, SupervisorEvaluation.engagement_id == Engagement.id)
        .where(
            Engagement.tenant_id == tenant_id,
            Engagement.id == engagement_id,
            Engagement.status == "completed",
        )
    ).first()
    if row is None:
        return None
    engagement, title, employer, evaluation, minutes = row
    handins = db.session.execute(
        select(Deliverable.id, Deliverable.title, Deliverable.url, Deliverable.created_at)
        .where(Deliverable.tenant_id == tenant_id, Deliverable.engagement_id == engagement_id)
        .order_by(Deliverable.created_at, Deliverable.id)
    ).all()
    ratings = db.session.scalars(
        select(CompetencyRating)
        .where(
            CompetencyRating.tenant_id == tenant_id,
            CompetencyRating.evaluation_id == evaluation.id,
        )
        .order_by(CompetencyRating.id)
    ).all()
    lookups = lookups or Lookups()
    targets = lookups.targets(tenant_id, [r.competency for r in ratings])
    rated = [r.competency for r in ratings if r.level]
    return EngagementFacts(
        engagement_id=engagement.id,
        tenant_id=tenant_id,
        student_id=engagement.student_id,
        listing_id=engagement.listing_id,
        title=title,
        employer=employer,
        hours=round(int(minutes or 0) / 60, 2),
        deliverables=tuple(Handin(*h) for h in handins),
        evaluated_on=evaluation.submitted_at.date(),
        supervisor_comment=evaluation.comments or "",
        ratings=tuple(Rating(r.competency, r.level, targets.get(r.competency)) for r in ratings),
        outcomes=lookups.course_outcomes(tenant_id, engagement.course_id, rated),
    )


@functools.cache
def _award_work_statement() -> Any:
    """``_award_work``'s statement (bound: ``tenant_id``, ``ids``), built once per process."""
    tenant_id = bindparam("tenant_id", type_=Integer)
    ids = bindparam("ids", type_=Integer, expanding=True)
    titles = (
        select(literal(0, Integer).label("kind"), Engagement.id.label("at"), Listing.title)
        .join(Engagement, Engagement.listing_id == Listing.id)
        .where(Engagement.tenant_id == tenant_id, Engagement.id.in_(ids))
    )
    rated = (
        select(literal(1, Integer), literal(0, Integer), CompetencyRating.competency)
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .where(
            SupervisorEvaluation.tenant_id == tenant_id,
            SupervisorEvaluation.engagement_id.in_(ids),
            CompetencyRating.level.is_not(None),
        )
        .distinct()
    )
    return union_all(titles, rated).order_by("kind", "at")


def _award_work(tenant_id: int, ids: list[int]) -> tuple[list[str], list[str]]:
    """The titles of an award's engagements and the competencies their supervisors rated
    (one statement: the titles, by engagement, then the rated competencies)."""
    if not ids:
        return [], []
    params = {"tenant_id": tenant_id, "ids": ids}
    rows = db.session.execute(_award_work_statement(), params).all()
    return [r[2] for r in rows if r[0] == 0], [r[2] for r in rows if r[0] == 1]


AwardRow = tuple[CreditAward, str | None]  # an award and its course's title


def award_facts(
    tenant_id: int, award_id: int, lookups: Lookups | None = None, read: AwardRow | None = None
) -> AwardFacts | None:
    """The facts of a final, current award of the tenant (``read``: the award and its course's
    title, read already); None otherwise."""
    if read is None or read[0].id != award_id:
        read = db.session.execute(
            select(CreditAward, Course.title)
            .join(Course, Course.id == CreditAward.course_id)
            .where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.id == award_id,
                CreditAward.status == "final",
                CreditAward.superseded_at.is_(None),
            )
        ).first()
    if read is None:
        return None
    award, course_title = read
    if award.tenant_id != tenant_id or award.status != "final" or award.superseded_at is not None:
        return None
    titles, rated = _award_work(tenant_id, [int(i) for i in award.engagement_ids or []])
    lookups = lookups or Lookups()
    targets = lookups.targets(tenant_id, sorted(set(rated)))
    return AwardFacts(
        award_id=award.id,
        tenant_id=tenant_id,
        student_id=award.student_id,
        course_id=award.course_id,
        course_title=course_title or "Course",
        credits=award.credits,
        grading_mode=award.grading_mode,
        grade_label=award.grade_label,
        score_given=award.score_given,
        score_maximum=award.score_maximum,
        hours=round(award.approved_minutes / 60, 2),
        decided_on=award.score_timestamp.date(),
        engagements=tuple(titles),
        targets=tuple(targets[name] for name in sorted(targets)),
        outcomes=lookups.course_outcomes(tenant_id, award.course_id, sorted(set(rated))),
    )
