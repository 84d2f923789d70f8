"""The "For you" list: a student's best next listings, each explained in words.

Candidates are the tenant's open listings whose deadline has not passed (the tenant's date),
minus those the student already applied to (withdrawn applications included), those the
student is not eligible for (the rules of ``eligibility_problems``, read against the profile),
and those that would break the workload caps (as ``workload_problem``: concurrent engagements
and planned weekly hours). A student already at the engagement cap gets an empty list.

Scoring, in Python over one query of candidates (skills and competencies are on the row):

- skills: the set cosine |mine ∩ theirs| / sqrt(|mine| · |theirs|), weight ``W_SKILLS``;
- text: interests and career goals against the listing's stored search words (title,
  summary, description, deliverables, employer, tags, skills: ``search_title``/``search_body``,
  see ``services/search.py``). Words are lower-cased runs of letters and digits of three or
  more characters minus English stop words (no stemming); each word
  weighs its inverse document frequency over the candidate set, idf = ln(1 + N / df); the
  similarity is the idf of the shared words over the idf of all the student's words (0..1),
  weight ``W_TEXT``;
- availability: planned weekly hours within the profile's availability earns ``W_FIT``,
  more than it costs ``W_FIT`` (unknown availability: neither);
- pay: paid at or above the tenant's pay floor earns ``W_PAY`` plus up to ``W_PAY`` more as
  the rate rises to twice the floor; paid below the floor earns half of ``W_PAY``;
- outcome gaps: competencies the student has not yet been rated at Early Application or
  better in any supervisor evaluation; the share of the listing's competencies that are gaps,
  weight ``W_GAPS``.

Ties go to the soonest deadline, then the newest listing. For the benchmark's sizes the
candidate query is bounded (``MAX_CANDIDATES``), listings sharing a skill with the profile
first, then the soonest deadlines.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import defer, joinedload

from lti_tool.context import LaunchContext, today_in
from lti_tool.extensions import db

from ..models import Listing, ListingFacet
from ..services import search
from ..services.listings import pay_floor_cents
from ..vocabulary import COMPETENCIES, skill_label
from ..work.models import (
    RATING_LEVELS,
    Application,
    CompetencyRating,
    Engagement,
    SupervisorEvaluation,
)
from ..work.services.applications import (
    ApplicationInput,
    eligibility_problems,
    planned_weekly_hours,
)
from ..work.services.common import (
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_MAX_WEEKLY_HOURS,
    get_tenant,
    setting_int,
)
from .models import StudentProfile
from .services import get_or_empty

W_SKILLS = 4.0
W_TEXT = 2.0
W_FIT = 0.75
W_PAY = 0.5
W_GAPS = 1.0
MAX_CANDIDATES = 300
SHOWN_LEVEL = RATING_LEVELS.index("Early Application") + 1  # stored levels are 1..4
AUTHORIZED = "US citizen/permanent resident"
_STOP_TEXT = (
    "and the for with you your our are from that this will who can all has have not but "
    "into about over their them they its was were what when where which work working "
    "help helping want like would more most some such than then there these those"
)
STOP_WORDS = search.STOP_WORDS | frozenset(_STOP_TEXT.split())


@dataclass
class Recommendation:
    listing: Listing
    score: float
    reasons: list[str]


def words(text: str) -> set[str]:
    """The distinct words of a text that count for similarity."""
    return {w for w in search.words(text).split() if len(w) >= 3} - STOP_WORDS


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _money(cents: int, currency: str) -> str:
    symbol = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "AUD": "A$"}.get(currency)
    amount = f"{cents / 100:,.2f}".removesuffix(".00")
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def shown_competencies(tenant_id: int, student_id: int) -> set[str]:
    """Competencies a supervisor has rated the student at Early Application or better."""
    return set(
        db.session.scalars(
            select(CompetencyRating.competency)
            .join(SupervisorEvaluation, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
            .join(Engagement, SupervisorEvaluation.engagement_id == Engagement.id)
            .where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                CompetencyRating.level >= SHOWN_LEVEL,
            )
            .distinct()
        )
    )


def _workload(tenant_id: int, student_id: int) -> tuple[int, int, int, int]:
    """(current engagements, planned weekly hours, max engagements, max weekly hours)."""
    tenant = get_tenant(tenant_id)
    count, hours = db.session.execute(
        select(
            func.count(Engagement.id), func.coalesce(func.sum(Engagement.weekly_hours), 0)
        ).where(
            Engagement.tenant_id == tenant_id,
            Engagement.student_id == student_id,
            Engagement.status.in_(("active", "submitted")),
        )
    ).one()
    return (
        int(count),
        int(hours),
        setting_int(tenant, "max_concurrent_engagements", DEFAULT_MAX_CONCURRENT),
        setting_int(tenant, "max_weekly_hours", DEFAULT_MAX_WEEKLY_HOURS),
    )


def _candidates(ctx: LaunchContext, profile: StudentProfile, today: dt.date) -> list[Listing]:
    applied = select(Application.listing_id).where(
        Application.tenant_id == ctx.tenant_id, Application.student_id == ctx.user_id
    )
    stmt = (
        select(Listing)
        .options(
            joinedload(Listing.employer),
            defer(Listing.description_md),
            defer(Listing.deliverables),
            defer(Listing.approval_note),
        )
        .where(
            Listing.tenant_id == ctx.tenant_id,
            Listing.status == "open",
            or_(Listing.application_deadline.is_(None), Listing.application_deadline >= today),
            Listing.id.not_in(applied),
        )
    )
    if profile.skills:
        sharing = select(ListingFacet.listing_id).where(
            ListingFacet.tenant_id == ctx.tenant_id,
            ListingFacet.kind == "skill",
            ListingFacet.value.in_(list(profile.skills)),
        )
        stmt = stmt.order_by(case((Listing.id.in_(sharing), 0), else_=1))
    stmt = stmt.order_by(
        Listing.application_deadline.asc().nulls_last(), Listing.created_at.desc(), Listing.id
    )
    return list(db.session.scalars(stmt.limit(MAX_CANDIDATES)))


def _eligible(listing: Listing, profile: StudentProfile) -> bool:
    as_application = ApplicationInput(
        statement="",
        availability="",
        consent=False,
        program=profile.program or "",
        class_year=profile.class_year or "",
        # F-1 credit-bearing off-campus work needs a recorded CPT approval, which the profile
        # does not hold: only a citizen/permanent resident is taken to meet a requirement.
        meets_work_authorization=profile.work_authorization == AUTHORIZED,
    )
    return not eligibility_problems(listing, as_application)


def _idf(docs: Iterable[set[str]]) -> tuple[dict[str, float], int]:
    df: Counter[str] = Counter()
    n = 0
    for doc in docs:
        df.update(doc)
        n += 1
    return {w: math.log(1 + n / c) for w, c in df.items()}, n


def recommend(ctx: LaunchContext, limit: int = 10) -> list[Recommendation]:
    """The launch student's ranked recommendations (at most ``limit``)."""
    profile = get_or_empty(ctx)
    today = today_in(ctx.time_zone)
    count, hours, max_count, max_hours = _workload(ctx.tenant_id, ctx.user_id)
    if count + 1 > max_count:
        return []
    listings = [
        listing
        for listing in _candidates(ctx, profile, today)
        if _eligible(listing, profile) and hours + planned_weekly_hours(listing) <= max_hours
    ]
    if not listings:
        return []
    floor = pay_floor_cents(get_tenant(ctx.tenant_id))
    mine = set(profile.skills or [])
    query = words(f"{profile.interests or ''} {profile.career_goals or ''}")
    docs = {
        listing.id: set(f"{listing.search_title} {listing.search_body}".split()) - STOP_WORDS
        for listing in listings
    }
    idf, n = _idf(docs.values())
    default_idf = math.log(1 + max(n, 1))
    query_weight = sum(idf.get(w, default_idf) for w in query)
    gaps = set(COMPETENCIES) - shown_competencies(ctx.tenant_id, ctx.user_id)
    availability = profile.weekly_availability_hours

    picks = []
    for listing in listings:
        score = 0.0
        reasons: list[str] = []
        theirs = set(listing.skills or [])
        shared = [s for s in profile.skills or [] if s in theirs]  # in the student's order
        if shared:
            score += W_SKILLS * len(shared) / math.sqrt(len(mine) * len(theirs))
            reasons.append("Uses your " + _and_list([skill_label(s) for s in shared[:3]]))
        if query_weight:
            common = query & docs[listing.id]
            if common:
                score += W_TEXT * sum(idf[w] for w in common) / query_weight
                top = sorted(common, key=lambda w: (-idf[w], w))[:3]
                reasons.append("Matches your interests and goals (" + ", ".join(top) + ")")
        weekly = planned_weekly_hours(listing)
        if availability is not None:
            if weekly <= availability:
                score += W_FIT
                reasons.append(f"Fits your {availability} h a week (about {weekly} h a week)")
            else:
                score -= W_FIT
        building = [c for c in listing.competencies or [] if c in gaps]
        if building and listing.competencies:
            score += W_GAPS * len(building) / len(listing.competencies)
            reasons.append("Builds " + _and_list(building[:2]) + ", which you have not shown yet")
        rate = listing.effective_rate_cents or 0
        if listing.is_paid and rate:
            if rate >= floor:
                score += W_PAY * (1 + min(1.0, (rate - floor) / floor if floor else 1.0))
            else:
                score += W_PAY / 2
        if not (shared or (query_weight and query & docs[listing.id])):
            # nothing personal to say (an empty profile): why it is worth a look anyway
            if listing.is_paid and rate:
                reasons.append(f"Open now and paid {_money(rate, listing.currency)}/h")
            else:
                reasons.append("Open now")
            if listing.application_deadline is not None:
                days = (listing.application_deadline - today).days
                reasons.append(
                    "Closes today" if days == 0 else f"Closes in {days} day{'s' * (days != 1)}"
                )
        picks.append(Recommendation(listing, round(score, 4), reasons))

    def key(pick: Recommendation) -> tuple[float, dt.date, float, int]:
        listing = pick.listing
        created = listing.created_at.timestamp() if listing.created_at else 0.0
        return (-pick.score, listing.application_deadline or dt.date.max, -created, listing.id)

    picks.sort(key=key)
    return picks[:limit]
