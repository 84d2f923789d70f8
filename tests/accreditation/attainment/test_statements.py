"""Coverage's statements give the figures counted row by row in Python: per listing the rated
rows, in both of the statement's forms (listing columns or (outcome, listing) groups)."""

from __future__ import annotations

import importlib
from collections import defaultdict

import pytest

from accreditation.attainment import services
from accreditation.evidence.models import Evidence
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import Course
from tests.internships.work.helpers import accept, add_listing

from .test_services import _scope

# the module (the package exports the function ``coverage`` under the same name)
coverage_module = importlib.import_module("accreditation.attainment.services.coverage")


def _rated_rows(tenant_id):
    """(student, outcome, source, level, term, listing) of every rated evidence row."""
    terms = dict(db.session.execute(db.select(Course.id, Course.term_name)).all())
    listings = dict(db.session.execute(db.select(Engagement.id, Engagement.listing_id)).all())
    return [
        (
            e.student_id,
            e.item_id,
            e.source,
            e.level,
            terms.get(e.course_id) or "",
            listings.get(e.engagement_id),
        )
        for e in db.session.scalars(
            db.select(Evidence).where(Evidence.tenant_id == tenant_id, Evidence.level.is_not(None))
        )
    ]


def test_coverage_by_listing_counts_the_rated_rows_of_each_listings_engagements(
    app, school, record, monkeypatch
):
    a, b = school.person("student"), school.person("student")
    with app.app_context():
        first = add_listing(school.tenant_id, title="First project", openings=2)
        second = add_listing(school.tenant_id, title="Second project")
        a_first = accept(a.ctx(), first).id
        b_first = accept(b.ctx(), first).id
        b_second = accept(b.ctx(), second).id
        db.session.commit()
    record(
        school.tenant_id,
        [(a, "Teamwork", 3, "direct"), (a, "Teamwork", 2, "indirect")],
        engagement_id=a_first,
    )
    record(school.tenant_id, [(a, "Leadership", None, "direct")], engagement_id=a_first)
    record(school.tenant_id, [(b, "Teamwork", 4, "direct")], engagement_id=b_first)
    record(
        school.tenant_id,
        [(b, "Leadership", 1, "direct"), (b, "Teamwork", 1, "direct")],
        engagement_id=b_second,
    )
    record(school.tenant_id, [(b, "Communication", 2, "direct")])  # no engagement
    scope = _scope(app, school.tenant_id)

    def listing_cells():
        cover = services.coverage(scope, listing_limit=None)
        cells = {k: n for k, n in cover.counts.items() if k[0] == "listing"}
        return cells, [(c.id, c.title) for c in cover.listings]

    with app.app_context():
        expected: dict = defaultdict(int)
        for _s, outcome, _m, _level, _t, listing in _rated_rows(school.tenant_id):
            expected[("listing", listing, outcome)] += 1
        cells, listings = listing_cells()
        assert cells == dict(expected)
        assert listings == [
            (first, "First project"),
            (second, "Second project"),
            (None, "No listing"),
        ]
        monkeypatch.setattr(coverage_module, "_LISTING_COLUMNS_MAX", 0)  # (outcome, listing) groups
        assert listing_cells() == (cells, listings)


@pytest.mark.parametrize("n", [70_000])
def test_titles_are_read_in_batches_below_the_databases_parameter_limits(app, school, n):
    """PostgreSQL takes at most 65,535 parameters in a statement and SQLite 32,766: the export
    asks for the title of every listing with evidence."""
    with app.app_context():
        listing_id = add_listing(school.tenant_id, title="Only project")
        db.session.flush()
        query = db.select(Listing.id, Listing.title).where(Listing.tenant_id == school.tenant_id)
        ids = [listing_id, *range(-n, 0)]
        assert coverage_module._titles(query, Listing.id, ids) == {listing_id: "Only project"}
        db.session.rollback()
