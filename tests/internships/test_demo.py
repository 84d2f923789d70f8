"""The demo data: every status present, every listing as the services would make it, and a
second run changes nothing."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from internships.demo import LISTINGS, seed_listings
from internships.models import Employer, Listing
from internships.services.board import BoardQuery, search_board
from lti_tool.extensions import db
from tests.internships.conftest import TODAY


def test_seed_listings_is_idempotent_and_covers_every_status(tenant):
    assert seed_listings(tenant.id, today=TODAY) == len(LISTINGS) == 30
    assert seed_listings(tenant.id, today=TODAY) == 0
    listings = db.session.scalars(select(Listing).where(Listing.tenant_id == tenant.id)).all()
    statuses = Counter(listing.status for listing in listings)
    assert set(statuses) == {"draft", "pending_approval", "open", "filled", "closed", "expired"}
    assert statuses["pending_approval"] == 3
    employers = db.session.scalars(select(Employer).where(Employer.tenant_id == tenant.id))
    assert len(employers.all()) == 8
    board = search_board(tenant.id, BoardQuery(), TODAY, per_page=100)
    assert board.total == statuses["open"]
    unpaid_open = [row for row in board.listings if row.compensation_type == "unpaid"]
    assert len(unpaid_open) == 1 and unpaid_open[0].unpaid_justification
