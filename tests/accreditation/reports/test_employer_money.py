"""Employer outcomes in more than one currency: employers.csv writes amounts as numbers in a
pair of columns per currency, named in the header, and never takes a median across two
currencies; the pages write each amount in its own currency (``lti_tool.words.money``)."""

from __future__ import annotations

from accreditation.reports.services.employers import EmployerStats, ListingStats, money

from .conftest import World
from .test_views import _employer_id, get, rows_of


def _approved(app, listing_id: int, tenant_id: int) -> None:
    """A listing in another currency than the tenant's waits for an advisor: approved here."""
    from internships.services.listings import approve_listing
    from lti_tool.actor import Actor
    from lti_tool.extensions import db
    from tests.internships.work.helpers import ADVISOR_ACTOR

    with app.app_context():
        approve_listing(Actor(tenant_id, ADVISOR_ACTOR), listing_id)
        db.session.commit()


def test_each_currency_has_its_own_columns_and_no_median_mixes_two(world: World, seed_listing, app):
    gamma = seed_listing(
        world.tenant_id,
        employer="Gamma GmbH",
        title="Übersetzung sprint",
        currency="EUR",
        compensation_type="fixed",
        pay_amount_cents=30000,
        estimated_hours=12,
    )
    beta_eur = seed_listing(
        world.tenant_id,
        employer="Beta Labs",
        title="Paid in euros",
        currency="EUR",
        compensation_type="hourly",
        pay_amount_cents=1550,
        estimated_hours=10,
    )
    for listing_id in (gamma, beta_eur):
        _approved(app, listing_id, world.tenant_id)
    download = get(world.advisor, "/reports/employers.csv")
    header, *body = rows_of(download)
    assert header[6:10] == [
        "Median pay (EUR)",
        "Median hourly rate (EUR)",
        "Median pay (USD)",
        "Median hourly rate (USD)",
    ]
    assert header[10:] == ["Unpaid listings", "Evaluation average (1-4)", "Ratings"]
    rows = {r[0]: r for r in body}
    # Beta: $20 x 10 h in USD and €15.50 x 10 h in EUR, each in its own currency's columns
    assert rows["Beta Labs"][6:10] == ["155.00", "15.50", "200.00", "20.00"]
    # Gamma is paid in euros only: €300 for 12 hours
    assert rows["Gamma GmbH"][6:10] == ["300.00", "25.00", "", ""]
    assert rows["Acme Analytics"][6:10] == ["", "", "500.00", "25.00"]
    assert not any("$" in cell or "€" in cell for row in body for cell in row)
    # the listings page writes each listing's amount in its currency
    page = get(world.advisor, "/reports/employers").get_data(as_text=True)
    assert "Gamma GmbH" in page
    listings = get(world.advisor, f"/reports/employers/{_employer_id(app, world, 'Beta Labs')}")
    body_text = listings.get_data(as_text=True)
    assert "€155.00" in body_text and "€15.50" in body_text and "$200.00" in body_text


def _listing(currency: str, pay: int | None, rate: int) -> ListingStats:
    return ListingStats(1, 1, "Acme", "Sprint", "open", 1, 0, 0, 0, None, pay, rate, currency)


def test_medians_in_words_are_per_currency():
    stats = EmployerStats(1, "Acme")
    stats.listings = [_listing("USD", 20000, 2000), _listing("USD", 30000, 3000)]
    assert stats.median_pay_text == "$250.00" and stats.median_rate_text == "$25.00"
    assert stats.median_pay_cents == 25000
    stats.listings.append(_listing("EUR", 15000, 1500))
    assert stats.currencies == ["EUR", "USD"]
    assert stats.median_pay_text == "€150.00 · $250.00"
    assert stats.median_pay_cents is None  # no median across two currencies
    stats.listings = [_listing("USD", None, 0)]
    assert stats.median_pay_text == "" and stats.currencies == []
    assert money(None) == "" and money(1234.5, "CHF") == "12.34 CHF"
