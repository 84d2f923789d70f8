"""Listing services, one state change per test: create, the fair-work rule, approval, edits,
validation and tenancy; and the board's filters, sorts and pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from internships.models import ListingFacet
from internships.services.board import BoardQuery, search_board
from internships.services.listings import (
    ListingInvalidError,
    approve_listing,
    close_listing,
    effective_rate_cents,
    ensure_employer,
    expire_listings,
    get_listing,
    update_listing,
)
from internships.vocabulary import UNPAID_FACTORS
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.internships.conftest import ACTOR, TODAY, listing_input

FACTORS = {key: f"Documented in the learning agreement: {key}." for key, _ in UNPAID_FACTORS}


def audit_actions(tenant_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.id)
        )
    )


@pytest.mark.parametrize(
    ("kind", "pay", "hours", "rate"),
    [
        ("fixed", 50000, 20, 2500),
        ("fixed", 10000, 3, 3333),
        ("hourly", 1800, 40, 1800),
        ("unpaid", None, 10, 0),
        ("unpaid", 5000, 10, 0),
    ],
)
def test_effective_hourly_rate(kind, pay, hours, rate):
    assert effective_rate_cents(kind, pay, hours) == rate


def test_create_paid_listing_opens_and_is_audited(tenant, make_listing):
    listing = make_listing(tenant.id, skills=["sql", "tableau"], competencies=["Teamwork"])
    assert listing.status == "open"
    assert listing.effective_rate_cents == 2500
    assert listing.search_title == "market research sprint"
    assert "acme analytics" in listing.search_body and "tableau" in listing.search_body
    facets = db.session.scalars(
        select(ListingFacet.value).where(ListingFacet.listing_id == listing.id)
    )
    assert sorted(facets) == ["Teamwork", "sql", "tableau"]
    assert audit_actions(tenant.id) == ["employer.create", "listing.create"]


def test_draft_stays_draft(tenant, make_listing):
    assert make_listing(tenant.id, submit=False, compensation_type="unpaid").status == "draft"


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"compensation_type": "hourly", "pay_amount_cents": 1500}, "open"),  # at the floor
        ({"compensation_type": "hourly", "pay_amount_cents": 1499}, "pending_approval"),
        ({"compensation_type": "fixed", "pay_amount_cents": 29000}, "pending_approval"),
        ({"compensation_type": "unpaid", "pay_amount_cents": None}, "pending_approval"),
        ({"currency": "EUR", "pay_amount_cents": 90000}, "pending_approval"),
    ],
)
def test_fair_work_rule_sends_listings_to_approval(tenant, make_listing, overrides, status):
    assert make_listing(tenant.id, **overrides).status == status


def test_tenant_pay_floor_applies(make_tenant, make_listing):
    strict = make_tenant(pay_floor_cents=2000)
    lenient = make_tenant()
    terms = {"compensation_type": "hourly", "pay_amount_cents": 1800}
    assert make_listing(lenient.id, **terms).status == "open"
    assert make_listing(strict.id, **terms).status == "pending_approval"


def test_unpaid_approval_without_justification_is_refused(tenant, make_listing):
    listing = make_listing(tenant.id, compensation_type="unpaid")
    partial = dict(FACTORS, limited_duration="short")
    for justification in (None, {}, partial):
        with pytest.raises(PolicyViolationError) as refused:
            approve_listing(
                Actor(tenant.id, ACTOR), listing.id, justification=justification, today=TODAY
            )
        assert refused.value.reason == "unpaid_justification"
    assert listing.status == "pending_approval"
    assert "listing.approve" not in audit_actions(tenant.id)


def test_unpaid_approval_with_justification_opens(tenant, make_listing):
    listing = make_listing(tenant.id, compensation_type="unpaid")
    approve_listing(
        Actor(tenant.id, ACTOR),
        listing.id,
        note="Credit-bearing",
        justification=FACTORS,
        today=TODAY,
    )
    assert listing.status == "open"
    assert listing.unpaid_justification == FACTORS
    assert listing.approved_by == ACTOR and listing.approved_at is not None
    assert audit_actions(tenant.id)[-1] == "listing.approve"


def test_below_floor_approval_needs_no_factors(tenant, make_listing):
    listing = make_listing(tenant.id, compensation_type="hourly", pay_amount_cents=1200)
    approve_listing(Actor(tenant.id, ACTOR), listing.id, note="Campus employer rate", today=TODAY)
    assert (listing.status, listing.unpaid_justification) == ("open", None)


def test_only_pending_listings_can_be_approved(tenant, make_listing):
    listing = make_listing(tenant.id)
    with pytest.raises(PolicyViolationError) as refused:
        approve_listing(Actor(tenant.id, ACTOR), listing.id, today=TODAY)
    assert refused.value.reason == "not_pending"


def test_cutting_pay_of_an_open_listing_sends_it_back_to_approval(tenant, make_listing):
    listing = make_listing(tenant.id)
    data = listing_input(listing.employer_id, title="Renamed sprint")
    update_listing(Actor(tenant.id, ACTOR), listing.id, data)
    assert (listing.status, listing.search_title) == ("open", "renamed sprint")
    cut = listing_input(listing.employer_id, compensation_type="hourly", pay_amount_cents=1000)
    update_listing(Actor(tenant.id, ACTOR), listing.id, cut)
    assert listing.status == "pending_approval" and listing.approved_by is None


def test_editing_an_approved_unpaid_listing_keeps_its_approval(tenant, make_listing):
    listing = make_listing(tenant.id, compensation_type="unpaid")
    approve_listing(Actor(tenant.id, ACTOR), listing.id, justification=FACTORS, today=TODAY)
    data = listing_input(listing.employer_id, compensation_type="unpaid", summary="Clearer")
    update_listing(Actor(tenant.id, ACTOR), listing.id, data)
    assert listing.status == "open" and listing.unpaid_justification == FACTORS


def test_publishing_a_draft_applies_the_rule(tenant, make_listing):
    listing = make_listing(tenant.id, submit=False, compensation_type="unpaid")
    data = listing_input(listing.employer_id, compensation_type="unpaid")
    update_listing(Actor(tenant.id, ACTOR), listing.id, data, submit=True)
    assert listing.status == "pending_approval"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "x"}, "title"),
        ({"estimated_hours": 0}, "estimated_hours"),
        ({"compensation_type": "hourly", "pay_amount_cents": None}, "pay_amount_cents"),
        ({"compensation_type": "barter"}, "compensation_type"),
        ({"location_type": "onsite", "location": " "}, "location"),
        ({"work_start": dt.date(2026, 10, 2), "work_end": dt.date(2026, 10, 1)}, "work_end"),
        ({"work_start": dt.date(2026, 9, 3)}, "application_deadline"),
        ({"skills": ["not-a-skill"]}, "skills"),
        ({"competencies": ["Juggling"]}, "competencies"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"currency": "XYZ"}, "currency"),
    ],
)
def test_invalid_listings_are_refused_with_the_field(tenant, make_listing, overrides, field):
    with pytest.raises(ListingInvalidError) as refused:
        make_listing(tenant.id, **overrides)
    assert refused.value.field == field


def test_listings_of_another_tenant_are_out_of_reach(make_tenant, make_listing, read_path):
    ours, theirs = make_tenant(), make_tenant()
    listing = make_listing(theirs.id, title="Their sprint")
    assert get_listing(theirs.id, listing.id) is listing  # positive control
    with pytest.raises(NotFoundError):
        get_listing(ours.id, listing.id)
    with pytest.raises(NotFoundError):
        update_listing(Actor(ours.id, ACTOR), listing.id, listing_input(listing.employer_id))
    their_employer = ensure_employer(Actor(theirs.id, ACTOR), "Acme Analytics")
    assert search_board(theirs.id, BoardQuery(), TODAY).total == 1
    assert search_board(ours.id, BoardQuery(), TODAY).total == 0
    own = make_listing(ours.id, employer="Ours")
    with pytest.raises(NotFoundError):  # nor can our listing name their employer
        update_listing(Actor(ours.id, ACTOR), own.id, listing_input(their_employer.id))


def test_ensure_employer_is_idempotent(tenant):
    first = ensure_employer(Actor(tenant.id, ACTOR), "  Harbor   Logistics ")
    assert ensure_employer(Actor(tenant.id, ACTOR), "Harbor Logistics") is first
    assert first.name == "Harbor Logistics"


@pytest.fixture
def board(tenant, make_listing):
    day = TODAY + dt.timedelta(days=1)
    made = {
        "sql": make_listing(
            tenant.id,
            title="SQL report",
            skills=["sql"],
            estimated_hours=10,
            application_deadline=day + dt.timedelta(days=5),
            competencies=["Technology"],
        ),
        "video": make_listing(
            tenant.id,
            title="Video edit",
            skills=["video-editing"],
            estimated_hours=30,
            location_type="onsite",
            location="Campus",
            compensation_type="hourly",
            pay_amount_cents=3000,
            application_deadline=day,
            competencies=["Communication"],
        ),
        "nodeadline": make_listing(
            tenant.id,
            title="Open-ended audit",
            estimated_hours=20,
            application_deadline=None,
            pay_amount_cents=80000,
        ),
        "unpaid": make_listing(
            tenant.id, title="Unpaid archive", compensation_type="unpaid", estimated_hours=5
        ),
        "past": make_listing(
            tenant.id, title="Too late", application_deadline=TODAY - dt.timedelta(days=1)
        ),
    }
    approve_listing(Actor(tenant.id, ACTOR), made["unpaid"].id, justification=FACTORS, today=TODAY)
    names = {listing.id: name for name, listing in made.items()}

    def find(**query) -> list[str]:
        page = search_board(tenant.id, BoardQuery(**query), TODAY, per_page=50)
        return [names[listing.id] for listing in page.listings]

    return find


def test_board_hides_passed_deadlines_and_sorts_by_deadline(board, read_path):
    assert board() == ["video", "sql", "unpaid", "nodeadline"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"skills": ("sql", "video-editing")}, {"sql", "video"}),
        ({"competencies": ("Communication",)}, {"video"}),
        ({"min_hours": 10, "max_hours": 20}, {"sql", "nodeadline"}),
        ({"paid_only": True}, {"sql", "video", "nodeadline"}),
        ({"min_rate_cents": 3000}, {"sql", "video", "nodeadline"}),
        ({"remote_only": True}, {"sql", "nodeadline", "unpaid"}),
        ({"deadline_after": TODAY + dt.timedelta(days=3)}, {"sql", "nodeadline", "unpaid"}),
    ],
)
def test_board_filters(board, query, expected, read_path):
    assert set(board(**query)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("pay", ["sql", "nodeadline", "video", "unpaid"]),
        ("hours", ["unpaid", "sql", "nodeadline", "video"]),
        ("newest", ["unpaid", "nodeadline", "video", "sql"]),
        ("nonsense", ["video", "sql", "unpaid", "nodeadline"]),
    ],
)
def test_board_sorts(board, sort, expected, read_path):
    assert board(sort=sort) == expected


def test_board_pages(tenant, make_listing, read_path):
    for n in range(5):
        make_listing(tenant.id, title=f"Listing {n}")
    pages = [search_board(tenant.id, BoardQuery(page=p), TODAY, per_page=2) for p in (1, 2, 3, 9)]
    assert [len(p.listings) for p in pages] == [2, 2, 1, 1]
    assert (pages[0].total, pages[0].pages, pages[3].page) == (5, 3, 3)
    seen = [listing.id for p in pages[:3] for listing in p.listings]
    assert len(set(seen)) == 5
    assert db.session.scalar(select(func.count()).select_from(ListingFacet)) is not None


@pytest.mark.parametrize("status", ["filled", "closed"])
def test_close_listing(tenant, make_listing, status):
    listing = make_listing(tenant.id)
    close_listing(Actor(tenant.id, ACTOR), listing.id, status)
    assert listing.status == status
    assert audit_actions(tenant.id)[-1] == f"listing.{status}"
    assert search_board(tenant.id, BoardQuery(), TODAY).total == 0


def test_only_open_or_pending_listings_close(tenant, make_listing):
    draft = make_listing(tenant.id, submit=False)
    with pytest.raises(PolicyViolationError) as refused:
        close_listing(Actor(tenant.id, ACTOR), draft.id, "filled")
    assert refused.value.reason == "not_open"
    with pytest.raises(PolicyViolationError) as refused:
        close_listing(Actor(tenant.id, ACTOR), make_listing(tenant.id).id, "open")
    assert refused.value.reason == "status"


def test_expire_listings_past_their_deadline(make_tenant, make_listing):
    tenant, other = make_tenant(), make_tenant()
    late = make_listing(tenant.id, application_deadline=TODAY - dt.timedelta(days=1))
    due_today = make_listing(tenant.id, application_deadline=TODAY)
    open_ended = make_listing(tenant.id, application_deadline=None)
    theirs = make_listing(other.id, application_deadline=TODAY - dt.timedelta(days=1))
    assert expire_listings(Actor(tenant.id, ACTOR), TODAY) == 1
    assert [late.status, due_today.status, open_ended.status] == ["expired", "open", "open"]
    assert theirs.status == "open"
    assert expire_listings(Actor(tenant.id, ACTOR), TODAY) == 0
