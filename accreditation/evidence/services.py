"""Evidence from supervisor ratings (a direct measure), and reading it back.

Supervisor evaluations never change once submitted, so the evidence derived from them can be
derived again at any time: ``sync_supervisor_evidence`` adds the rows missing for a tenant (each
rating once, by its origin) and is safe to run from the tick hook, a command or a POST (a
student's "Refresh"); pages only read. A rating names a NACE competency; it is recorded against
the tenant's NACE item that had that name, in the version that was current when the supervisor
submitted.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import String, and_, cast, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from accreditation.frameworks.models import Framework, FrameworkItem
from accreditation.frameworks.services import ensure_builtin_frameworks
from internships.models import Listing
from internships.work.models import CompetencyRating, Engagement, SupervisorEvaluation
from lti_tool.extensions import db

from .models import METHODS, Evidence

log = logging.getLogger("career_credit.evidence")

ORIGIN_RATING = "competency_rating:"


@dataclass(frozen=True)
class EvidenceRow:
    """What a page shows of one evidence row."""

    id: int
    outcome: str  # the wording recorded, not today's
    framework: str
    level: int | None
    level_name: str
    source: str
    method: str
    rater: str
    observed_on: str
    engagement_title: str


def _version_at(item: FrameworkItem, when: dt.datetime) -> int:
    """The id of the item's version in effect at ``when`` (its first one if none was)."""
    chosen = item.versions[0]
    for version in item.versions:
        if version.created_at <= when:
            chosen = version
    return chosen.id


def items_by_name(framework_id: int) -> dict[str, FrameworkItem]:
    """Every name an item of the framework has had (current names win over old ones); the
    framework's items and their versions are loaded in one go."""
    framework = db.session.scalars(
        select(Framework)
        .where(Framework.id == framework_id)
        .options(selectinload(Framework.items).selectinload(FrameworkItem.versions))
    ).one()
    out: dict[str, FrameworkItem] = {}
    for item in framework.items:
        for version in item.versions[:-1]:
            out.setdefault(version.name, item)
    for item in framework.items:
        out[item.current.name] = item
    return out


def sync_supervisor_evidence(tenant_id: int, student_id: int | None = None) -> int:
    """Record evidence for every supervisor rating of the tenant (or of one student) not yet
    recorded; returns how many rows it added (flushes; the caller commits)."""
    pending = _pending_ratings(tenant_id, student_id)
    if not pending:
        return 0
    by_name = items_by_name(ensure_builtin_frameworks(tenant_id).id)
    rows = []
    for rating, evaluation, engagement in pending:
        item = by_name.get(rating.competency)
        if item is None:
            log.warning(
                "No competency named %r in tenant %s's framework", rating.competency, tenant_id
            )
            continue
        rows.append(_evidence_of(tenant_id, rating, evaluation, engagement, item))
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
    except IntegrityError:
        # another request recorded the same ratings at the same moment: theirs stand
        return 0
    return len(rows)


def _pending_ratings(tenant_id: int, student_id: int | None) -> list[Any]:
    """(rating, evaluation, engagement) of each rating with no evidence yet, oldest first."""
    query = (
        select(CompetencyRating, SupervisorEvaluation, Engagement)
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .join(Engagement, Engagement.id == SupervisorEvaluation.engagement_id)
        .outerjoin(
            Evidence,
            and_(
                Evidence.tenant_id == tenant_id,
                Evidence.origin == ORIGIN_RATING + cast(CompetencyRating.id, String),
            ),
        )
        .where(CompetencyRating.tenant_id == tenant_id, Evidence.id.is_(None))
        .order_by(CompetencyRating.id)
    )
    if student_id is not None:
        query = query.where(Engagement.student_id == student_id)
    return list(db.session.execute(query).all())


def _evidence_of(
    tenant_id: int,
    rating: CompetencyRating,
    evaluation: SupervisorEvaluation,
    engagement: Engagement,
    item: FrameworkItem,
) -> Evidence:
    """The evidence row of one rating, against the item's wording when the supervisor rated."""
    return Evidence(
        tenant_id=tenant_id,
        student_id=engagement.student_id,
        engagement_id=engagement.id,
        course_id=engagement.course_id,
        listing_id=engagement.listing_id,
        item_id=item.id,
        item_version_id=_version_at(item, evaluation.submitted_at),
        level=rating.level,
        source=METHODS["supervisor_rating"],
        method="supervisor_rating",
        rater=evaluation.supervisor_name[:255],
        comment=rating.comment,
        observed_at=evaluation.submitted_at,
        origin=f"{ORIGIN_RATING}{rating.id}",
    )


def student_evidence(tenant_id: int, student_id: int) -> list[EvidenceRow]:
    """A student's evidence, newest first, with the wording each was recorded under."""
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.tenant_id == tenant_id, Evidence.student_id == student_id)
        .options(
            selectinload(Evidence.item_version),
            selectinload(Evidence.item).selectinload(FrameworkItem.framework),
        )
        .order_by(Evidence.observed_at.desc(), Evidence.id.desc())
    ).all()
    engagement_ids = {r.engagement_id for r in rows if r.engagement_id}
    titles = (
        dict(
            db.session.execute(
                select(Engagement.id, Listing.title)
                .join(Listing, Listing.id == Engagement.listing_id)
                .where(Engagement.tenant_id == tenant_id, Engagement.id.in_(engagement_ids))
            ).all()
        )
        if engagement_ids
        else {}
    )
    out = []
    for r in rows:
        scale = r.item.framework.scale or []
        level_name = scale[r.level - 1] if r.level and r.level <= len(scale) else "Not applicable"
        out.append(
            EvidenceRow(
                id=r.id,
                outcome=r.item_version.name,
                framework=r.item.framework.title,
                level=r.level,
                level_name=level_name,
                source=r.source,
                method=r.method,
                rater=r.rater,
                observed_on=r.observed_at.strftime("%Y-%m-%d"),
                engagement_title=titles.get(r.engagement_id or 0, ""),
            )
        )
    return out


def sync_all_supervisor_evidence() -> int:
    """Record the missing supervisor evidence of every tenant that has some; commits each
    tenant's rows; returns how many rows were added."""
    tenants = db.session.scalars(
        select(CompetencyRating.tenant_id)
        .outerjoin(
            Evidence,
            and_(
                Evidence.tenant_id == CompetencyRating.tenant_id,
                Evidence.origin == ORIGIN_RATING + cast(CompetencyRating.id, String),
            ),
        )
        .where(Evidence.id.is_(None))
        .distinct()
    ).all()
    added = 0
    for tenant_id in tenants:
        added += sync_supervisor_evidence(int(tenant_id))
        db.session.commit()
    return added


_last_tick: dict[str, float] = {}


def run_scheduled(app: Flask) -> int:
    """The job runner's tick: derive supervisor evidence at most every
    ``EVIDENCE_SYNC_INTERVAL_S`` seconds (60 by default), so an evaluation becomes evidence
    within a minute whether or not anyone opens a page. Never raises."""
    interval = float(app.config["EVIDENCE_SYNC_INTERVAL_S"])
    now = time.monotonic()
    if now - _last_tick.get(app.name, -interval) < interval:
        return 0
    _last_tick[app.name] = now
    with app.app_context():
        try:
            added = sync_all_supervisor_evidence()
        except Exception:
            db.session.rollback()
            log.exception("evidence sync failed; trying again at the next tick")
            return 0
        if added:
            log.info("evidence sync: %d supervisor ratings recorded", added)
        return added


# An evaluation that arrives is recorded at the runner's next tick, not a minute later: its
# commit lifts the throttle and wakes the runner (the derivation itself stays idempotent).
@event.listens_for(Session, "after_flush")
def _note_evaluations(session: Session, _flush_context: object) -> None:
    if any(isinstance(obj, SupervisorEvaluation) for obj in session.new):
        session.info["evidence_due"] = True


@event.listens_for(Session, "after_commit")
def _evaluations_committed(session: Session) -> None:
    if session.info.pop("evidence_due", False):
        _last_tick.clear()
        from lti_tool.jobs import kick

        kick()


@event.listens_for(Session, "after_rollback")
def _evaluations_rolled_back(session: Session) -> None:
    session.info.pop("evidence_due", None)
