"""The board's facet filters and sorts at a state system's size (issue 16): on PostgreSQL the
skills, competencies, place and pay come from the listing's stored ``facets`` array (one GIN
index with the words), so they follow every edit of the listing; the other sorts read an index
each, the later listing first among equals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from internships.models import Listing
from internships.services.board import BoardQuery, search_board
from internships.services.listings import update_listing
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import counted
from tests.internships.conftest import ACTOR, TODAY, listing_input

# both ways the board reads a page (tests/internships/conftest.py: read_path)
pytestmark = pytest.mark.usefixtures("read_path")


def _found(tenant_id: int, **query) -> list[int]:
    return [listing.id for listing in search_board(tenant_id, BoardQuery(**query), TODAY).listings]


def test_an_edit_moves_a_listing_between_the_facet_filters(tenant, make_listing):
    listing = make_listing(
        tenant.id,
        title="Survey analysis",
        skills=["sql"],
        competencies=["Teamwork"],
        location_type="onsite",
        location="Main campus",
    )
    other = make_listing(tenant.id, title="Field notes", location_type="remote")
    assert _found(tenant.id, competencies=("Teamwork",)) == [listing.id]
    assert _found(tenant.id, skills=("sql", "video-editing")) == [listing.id]
    assert _found(tenant.id, remote_only=True) == [other.id]
    assert _found(tenant.id, text="survey", competencies=("Teamwork",), paid_only=True) == [
        listing.id
    ]

    data = listing_input(
        listing.employer_id,
        title="Survey analysis",
        skills=["video-editing"],
        competencies=["Communication"],
        location_type="remote",
        compensation_type="hourly",
        pay_amount_cents=2500,
    )
    update_listing(Actor(tenant.id, ACTOR), listing.id, data)
    db.session.flush()
    assert _found(tenant.id, competencies=("Teamwork",)) == []
    assert _found(tenant.id, competencies=("Communication",)) == [listing.id]
    assert _found(tenant.id, skills=("sql",)) == []
    assert _found(tenant.id, skills=("video-editing",)) == [listing.id]
    assert set(_found(tenant.id, remote_only=True)) == {listing.id, other.id}
    both = _found(tenant.id, remote_only=True, competencies=("Communication",), skills=("sql",))
    assert both == []  # a skill and a competency must both hold


def test_the_facets_of_one_tenant_never_match_another(tenant, make_tenant, make_listing):
    mine = make_listing(tenant.id, competencies=["Teamwork"], location_type="remote")
    theirs = make_tenant()
    make_listing(theirs.id, competencies=["Teamwork"], location_type="remote")
    assert _found(tenant.id, competencies=("Teamwork",), remote_only=True) == [mine.id]


def test_postgresql_reads_the_facets_from_the_listing_not_the_facet_rows(tenant, make_listing):
    make_listing(tenant.id, title="Survey analysis", competencies=["Teamwork"])
    with counted() as statements:
        assert len(_found(tenant.id, text="survey", competencies=("Teamwork",), paid_only=True))
    reads_facet_rows = any("listing_facet" in statement for statement in statements)
    # SQLite starts from the id lists (the FTS5 rowids and the facet rows' ids)
    assert reads_facet_rows == (db.engine.dialect.name != "postgresql")


def test_the_later_listing_comes_first_among_equal_pay_and_time(tenant, make_listing):
    first = make_listing(
        tenant.id, title="First", compensation_type="hourly", pay_amount_cents=3000
    )
    second = make_listing(
        tenant.id, title="Second", compensation_type="hourly", pay_amount_cents=3000
    )
    moment = dt.datetime(2026, 12, 1, 9, 0)
    db.session.execute(
        update(Listing).where(Listing.id.in_([first.id, second.id])).values(created_at=moment)
    )
    db.session.flush()
    assert _found(tenant.id, sort="pay") == [second.id, first.id]
    assert _found(tenant.id, sort="newest") == [second.id, first.id]
    assert _found(tenant.id, sort="hours") == [first.id, second.id]  # fewest, then the oldest
