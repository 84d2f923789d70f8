"""The trend's and coverage's statements give the figures counted row by row in Python: per
student and term the highest level, per listing the rated rows; on PostgreSQL both of each
statement's forms (the trend's term bits or term names; coverage's listing columns or
(outcome, listing) groups) agree."""

from __future__ import annotations

import importlib
from collections import defaultdict

import pytest

from accreditation.attainment import services
from accreditation.attainment.services import report
from accreditation.evidence.models import Evidence
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import Course
from tests.internships.work.helpers import accept, add_listing

from .conftest import nace_item, set_term
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


def _trend_by_hand(rows, target):
    """outcome -> measure -> term -> (students, % at or above the target)."""
    best = {}
    for student, outcome, source, level, term, _listing in rows:
        key = (outcome, source, term, student)
        best[key] = max(best.get(key, 0), level)
    cells = defaultdict(lambda: defaultdict(dict))
    for (outcome, source, term, _student), level in best.items():
        n, hit = cells[outcome][source].get(term, (0, 0))
        cells[outcome][source][term] = (n + 1, hit + (level >= target))
    return {
        o: {
            m: {t: (n, round(100 * hit / n, 1)) for t, (n, hit) in by.items()}
            for m, by in ms.items()
        }
        for o, ms in cells.items()
    }


def _trend_figures(scope):
    trend = services.trend(scope)
    cells = {
        o: {m: {t: (c.n, c.percent) for t, c in by.items()} for m, by in ms.items()}
        for o, ms in trend.cells.items()
    }
    return trend.terms, cells


def test_trend_counts_each_student_once_per_term_at_that_terms_highest_level(
    app, school, record, monkeypatch
):
    fall, spring, untermed = (
        school.person("student", course=name) for name in ("fall", "spring", "untermed")
    )
    other = school.person("student", course="fall")
    with app.app_context():
        fall_id, spring_id = fall.ctx().course_id, spring.ctx().course_id
    set_term(app, fall_id, "Fall 2025", "2025-09-01")
    set_term(app, spring_id, "Spring 2026", "2026-01-10")
    record(
        school.tenant_id,
        [
            (fall, "Teamwork", 2, "direct"),
            (fall, "Teamwork", 4, "direct"),  # fall: 4 in Fall 2025
            (fall, "Teamwork", None, "direct"),  # not applicable: left out
            (fall, "Teamwork", 1, "indirect"),
            (other, "Teamwork", 2, "direct"),
            (other, "Leadership", 3, "direct"),
            (spring, "Teamwork", 1, "direct"),
            (untermed, "Teamwork", 3, "direct"),  # a course without a term
        ],
    )
    # the same students in the other term, and evidence without a course
    record(school.tenant_id, [(fall, "Teamwork", 2, "direct")], course_id=spring_id)
    record(school.tenant_id, [(spring, "Teamwork", 3, "direct")], course_id=fall_id)
    record(school.tenant_id, [(other, "Teamwork", 4, "direct")], course_id=None)
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        teamwork = nace_item(school.tenant_id, "Teamwork")[0]
        expected = _trend_by_hand(_rated_rows(school.tenant_id), target=3)
        terms, cells = _trend_figures(scope)
        db.session.rollback()
        assert cells == expected
        assert terms == ["Fall 2025", "Spring 2026", ""]
        assert cells[teamwork]["direct"] == {
            "Fall 2025": (3, 66.7),  # fall 4, other 2, spring 3
            "Spring 2026": (2, 0.0),  # fall 2, spring 1
            "": (2, 100.0),  # untermed 3, other 4 (no course)
        }
        if db.engine.dialect.name == "postgresql":  # the term names' statement: the same
            monkeypatch.setattr(report, "_term_bits", lambda scope: None)
            assert _trend_figures(scope) == (terms, cells)


def test_trend_bits_for_courses_far_apart_or_too_many_terms_fall_back_to_term_names(
    app, school, monkeypatch
):
    person = school.person("student", course="c-1")
    with app.app_context():
        course_id = person.ctx().course_id
    set_term(app, course_id, "Fall 2025", "2025-09-01")
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        bits = report._term_bits(scope)
        assert bits is not None  # control
        assert bits.terms == ["", "Fall 2025"]
        assert bits.course_bits[course_id - bits.offset - 1] == 2
        monkeypatch.setattr(report, "_MAX_TERM_BITS", 1)
        assert report._term_bits(scope) is None


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
        expected = defaultdict(int)
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
