"""The "For you" list: a student's best next listings, each explained in words.

Who may see a listing: the tenant's open listings whose deadline has not passed (the tenant's
date), minus those the student already applied to (withdrawn applications included), those
the student is not eligible for (the rules of ``eligibility_problems``, read against the
profile), and those that would break the workload caps (the launch course's caps, else the
tenant's, as ``workload_problem``: concurrent engagements and planned weekly hours). A
student already at the engagement cap gets an empty list.

Candidates, so that the work stays bounded however large the board (each set a small
indexed subquery; one statement merges them and reads the light columns):

- skills: the listings sharing the most of the profile's skills (the facet index alone),
  ``SKILL_CANDIDATES`` of them, newest first among equals;
- words: for each of the student's interest and goal words (at most ``TEXT_WORDS``, longest
  first), the ``WORD_CANDIDATES`` newest open listings whose text holds it (the full-text
  index: FTS5 or the GIN index; stemmed there, exact in the scoring below);
- soonest: the ``SOON_CANDIDATES`` open listings with the soonest deadlines (and a quarter
  as many without a deadline), which also serve as the sample the words' weights are read from, and
  carry an empty profile.

Scoring (``scoring.py``), in Python over the candidates' light columns (no description, no ORM
objects; the picks alone are loaded):

- skills: the set cosine |mine ∩ theirs| / sqrt(|mine| · |theirs|), weight ``W_SKILLS``;
- text: interests and career goals against the listing's stored search words (title,
  summary, description, deliverables, employer, tags, skills: ``search_title``/``search_body``,
  see ``services/search.py``). Words are lower-cased runs of letters and digits of three or
  more characters minus English stop words (no stemming); each word weighs its inverse
  document frequency over the soonest-deadline sample (an unbiased slice of the board: the
  other candidates were chosen for holding the words), idf = ln(1 + N / df), a word the
  sample lacks weighing ln(1 + N); the similarity is the idf of the shared words over the idf
  of all the student's words (0..1), weight ``W_TEXT``;
- availability: planned weekly hours within the profile's availability earns ``W_FIT``,
  more than it costs ``W_FIT`` (unknown availability: neither);
- pay: paid at or above the tenant's pay floor earns ``W_PAY`` plus up to ``W_PAY`` more as
  the rate rises to twice the floor; paid below the floor earns half of ``W_PAY``;
- outcome gaps: competencies the student has not yet been rated at Early Application or
  better in any supervisor evaluation; the share of the listing's competencies that are gaps,
  weight ``W_GAPS``.

Ties go to the soonest deadline, then the newest listing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)

from lti_tool.context import LaunchContext, today_in
from lti_tool.db_helpers import plan_for_values
from lti_tool.extensions import db

from ..models import Listing, ListingFacet
from ..services import board_reads, search
from ..services.listing_rules import pay_floor_cents
from ..vocabulary import COMPETENCIES
from ..work.models import (
    RATING_LEVELS,
    Application,
    CompetencyRating,
    CourseWorkloadCap,
    Engagement,
    SupervisorEvaluation,
)
from ..work.services.applications import ApplicationInput, eligibility_problems
from ..work.services.caps import Caps, caps_of, course_cap
from ..work.services.common import get_tenant
from ..work.services.timeline import ProfileFacts
from ..work.services.workload import planned_weekly_hours
from .models import StudentProfile
from .scoring import Scorer
from .services import get_or_empty

SKILL_CANDIDATES = 80
TEXT_WORDS = 8
WORD_CANDIDATES = 12
SOON_CANDIDATES = 50
SHOWN_LEVEL = RATING_LEVELS.index("Early Application") + 1  # stored levels are 1..4
AUTHORIZED = "US citizen/permanent resident"
_STOP_TEXT = (
    "and the for with you your our are from that this will who can all has have not but "
    "into about over their them they its was were what when where which work working "
    "help helping want like would more most some such than then there these those"
)
STOP_WORDS = search.STOP_WORDS | frozenset(_STOP_TEXT.split())
# What scoring reads of a listing: no description, no ORM object (the picks alone are loaded).
_LIGHT = (
    Listing.id,
    Listing.skills,
    Listing.competencies,
    Listing.search_title,
    Listing.search_body,
    Listing.estimated_hours,
    Listing.work_start,
    Listing.work_end,
    Listing.compensation_type,
    Listing.effective_rate_cents,
    Listing.currency,
    Listing.eligibility,
    Listing.application_deadline,
    Listing.created_at,
)


@dataclass
class Recommendation:
    listing: Listing
    score: float
    reasons: list[str]


def words(text: str) -> set[str]:
    """The distinct words of a text that count for similarity."""
    return {w for w in search.words(text).split() if len(w) >= 3} - STOP_WORDS


# built once (building it cost about as much as running it): a request binds ``tenant_id``
# and ``student_id``
_SHOWN = (
    select(CompetencyRating.competency)
    .join(SupervisorEvaluation, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
    .join(Engagement, SupervisorEvaluation.engagement_id == Engagement.id)
    .where(
        Engagement.tenant_id == bindparam("tenant_id"),
        Engagement.student_id == bindparam("student_id"),
        CompetencyRating.level >= SHOWN_LEVEL,
    )
    .distinct()
)


def shown_competencies(tenant_id: int, student_id: int) -> set[str]:
    """Competencies a supervisor has rated the student at Early Application or better."""
    params = {"tenant_id": tenant_id, "student_id": student_id}
    return set(db.session.scalars(_SHOWN, params))


@dataclass(frozen=True)
class Load:
    """The student's current engagements (active or submitted), the weekly hours they plan,
    and the caps an application from the launch's course would be accepted under."""

    engagements: int
    weekly_hours: int
    caps: Caps


# built once (building it cost as much as running it): the student's current engagements and
# planned weekly hours, and the launch course's own caps as two more columns
_LOAD = select(
    func.count(Engagement.id),
    func.coalesce(func.sum(Engagement.weekly_hours), 0),
    course_cap(CourseWorkloadCap.max_concurrent),
    course_cap(CourseWorkloadCap.max_weekly_hours),
).where(
    Engagement.tenant_id == bindparam("tenant_id"),
    Engagement.student_id == bindparam("student_id"),
    Engagement.status.in_(("active", "submitted")),
)


def _workload(ctx: LaunchContext) -> Load:
    """The student's load and the caps (see ``Load``), in one statement."""
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id, "course_id": ctx.course_id}
    count, hours, course_concurrent, course_hours = db.session.execute(_LOAD, params).one()
    return Load(int(count), int(hours), caps_of(ctx.tenant_id, course_concurrent, course_hours))


def _not_passed() -> ColumnElement[bool]:
    """The deadline has not passed (as a check of rows found otherwise, not an index range)."""
    return func.coalesce(Listing.application_deadline, literal_column("'9999-12-31'")) >= (
        bindparam("today", type_=Date)
    )


def _open() -> Select[Any]:
    return select(Listing.id).where(
        Listing.tenant_id == bindparam("tenant_id"), Listing.status == "open"
    )


def _soonest() -> list[Select[Any]]:
    """The open listings with the soonest deadlines, and a quarter as many without one: each
    the board index read in order."""
    dated = (
        _open()
        .where(Listing.application_deadline >= bindparam("today", type_=Date))
        .order_by(Listing.application_deadline, Listing.id)
        .limit(SOON_CANDIDATES)
    )
    undated = (
        _open()
        .where(Listing.application_deadline.is_(None))
        .order_by(Listing.id)
        .limit(SOON_CANDIDATES // 4)
    )
    return [dated, undated]


def _skill_candidates() -> Select[Any]:
    """The listings sharing the most of the student's skills, newest first among equals:
    read from the facet index alone (whether each is open is checked with the rest)."""
    return (
        select(ListingFacet.listing_id)
        .where(
            ListingFacet.tenant_id == bindparam("tenant_id"),
            ListingFacet.kind == "skill",
            ListingFacet.value.in_(bindparam("skills", expanding=True)),
        )
        .group_by(ListingFacet.listing_id)
        .order_by(func.count().desc(), ListingFacet.listing_id.desc())
        .limit(SKILL_CANDIDATES)
    )


@lru_cache(maxsize=64)
def _candidates_statement(dialect: str, words: int, with_skills: bool) -> Select[Any]:
    """The candidates' light columns, and whether each is in the soonest-deadline sample, in
    one statement: the candidate sets are subqueries (each bounded), merged, and narrowed to
    the tenant's open listings whose deadline has not passed and that the student has not
    applied to. Built once per shape (``dialect`` keys the cache: the word subqueries differ
    per engine) with bind parameters, so a call neither builds nor hashes a statement of
    some twenty subqueries."""

    def ids(parts: list[Select[Any]]) -> Any:
        return union_all(*(select(part.subquery().c[0]) for part in parts))

    soonest = _soonest()
    parts = [
        *soonest,
        *(
            search.newest_holding(
                _open().where(_not_passed()), bindparam(f"word_{n}"), WORD_CANDIDATES
            )
            for n in range(words)
        ),
    ]
    if with_skills:
        parts.append(_skill_candidates())
    applied = select(Application.listing_id).where(
        Application.tenant_id == bindparam("tenant_id"),
        Application.student_id == bindparam("student_id"),
    )
    in_sample = case((Listing.id.in_(ids(soonest)), True), else_=False).label("in_sample")
    return select(*_LIGHT, in_sample).where(
        Listing.id.in_(ids(parts)),
        Listing.tenant_id == bindparam("tenant_id"),
        Listing.status == "open",
        _not_passed(),
        Listing.id.not_in(applied),
    )


def _candidates(
    ctx: LaunchContext, skills: list[str], terms: list[str], today: dt.date
) -> list[Row[Any]]:
    """The candidates (see ``_candidates_statement``) for the launch student."""
    dialect = db.session.get_bind().dialect.name
    stmt = _candidates_statement(dialect, len(terms), bool(skills))
    params: dict[str, Any] = {
        "tenant_id": ctx.tenant_id,
        "student_id": ctx.user_id,
        "today": today,
        **{f"word_{n}": search.engine_query([term]) for n, term in enumerate(terms)},
    }
    if skills:
        params["skills"] = skills
    plan_for_values()  # which listings match decides the plan (50,000: 2.4x the CPU generic)
    return list(db.session.execute(stmt, params))


def _as_application(profile: StudentProfile | ProfileFacts) -> ApplicationInput:
    """The profile as the eligibility rules read an application."""
    return ApplicationInput(
        statement="",
        availability="",
        consent=False,
        program=profile.program or "",
        class_year=profile.class_year or "",
        # F-1 credit-bearing off-campus work needs a recorded CPT approval, which the profile
        # does not hold: only a citizen/permanent resident is taken to meet a requirement.
        meets_work_authorization=profile.work_authorization == AUTHORIZED,
    )


def _allowed(
    profile: StudentProfile | ProfileFacts,
    candidates: list[Row[Any]],
    hours: int,
    max_hours: int,
) -> tuple[dict[int, int], list[Row[Any]]]:
    """Each candidate's planned weekly hours, and the candidates within the weekly-hours cap
    that the student is eligible for. Row objects carry the attributes the eligibility and
    hours rules read of a listing."""
    as_application = _as_application(profile)
    weekly: dict[int, int] = {}
    listings = []
    for row in candidates:
        weekly[row.id] = planned_weekly_hours(cast(Listing, row))
        if hours + weekly[row.id] > max_hours:
            continue
        if row.eligibility and eligibility_problems(cast(Listing, row), as_application):
            continue
        listings.append(row)
    return weekly, listings


def _loaded(
    tenant_id: int, best: list[tuple[float, Row[Any]]], scorer: Scorer
) -> list[Recommendation]:
    """The picks as listings (with their employers), each with its score and reasons."""
    params = {"tenant_id": tenant_id, "ids": [listing.id for _, listing in best]}
    loaded = db.session.scalars(board_reads.listings_statement(), params)
    by_id = {listing.id: listing for listing in loaded}
    return [Recommendation(by_id[row.id], value, scorer.reasons(row)) for value, row in best]


def recommend(
    ctx: LaunchContext,
    limit: int = 10,
    load: Load | None = None,
    shown: set[str] | None = None,
    profile: StudentProfile | ProfileFacts | None = None,
) -> list[Recommendation]:
    """The launch student's ranked recommendations (at most ``limit``); ``load``: the
    student's load and caps, ``shown``: their ``shown_competencies``, ``profile``: their
    profile (``timeline.NO_PROFILE`` when they saved none), when the caller knows them
    already (the student's home)."""
    profile = profile or get_or_empty(ctx)
    today = today_in(ctx.time_zone)
    # Held for the whole call: the session's identity map keeps only weak references, and
    # the caps and the pay floor both read the tenant.
    tenant = get_tenant(ctx.tenant_id)
    load = load or _workload(ctx)
    if load.engagements + 1 > load.caps.max_concurrent:
        return []
    mine = list(profile.skills or [])
    query = words(f"{profile.interests or ''} {profile.career_goals or ''}")
    terms = sorted(query, key=lambda w: (-len(w), w))[:TEXT_WORDS]
    candidates = _candidates(ctx, mine, terms, today)
    weekly, listings = _allowed(profile, candidates, load.weekly_hours, load.caps.max_weekly_hours)
    if not listings:
        return []
    floor = pay_floor_cents(tenant)
    if shown is None:
        shown = shown_competencies(ctx.tenant_id, ctx.user_id)
    scorer = Scorer.build(
        mine,
        query,
        listings,
        weekly,
        floor=floor,
        gaps=set(COMPETENCIES) - shown,
        availability=profile.weekly_availability_hours,
        today=today,
    )
    return _loaded(ctx.tenant_id, scorer.best(listings, limit), scorer)
