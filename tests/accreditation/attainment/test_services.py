"""Attainment, trend and coverage computed in SQL: each student once per outcome and measure at
the highest level reached, direct and indirect apart, targets and thresholds, term and program
filters, evidence of aligned course outcomes; the export's helpers."""

from __future__ import annotations

import pytest

from accreditation.attainment import export_zip, services
from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import (
    Framework,
    FrameworkItem,
    FrameworkItemVersion,
    OutcomeAlignment,
)
from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db

from .conftest import set_program, set_term


def _scope(app, tenant_id, **kwargs):
    with app.app_context():
        fw = fw_services.ensure_builtin_frameworks(tenant_id)
        db.session.commit()
        return services.Scope(tenant_id=tenant_id, framework_id=fw.id, **kwargs)


def _row(report, name):
    return next(r for r in report.rows if r.outcome.name == name)


def test_attainment_counts_each_student_once_at_the_highest_level(app, school, record):
    a, b, c = (school.person("student") for _ in range(3))
    record(
        school.tenant_id,
        [
            (a, "Teamwork", 2, "direct"),
            (a, "Teamwork", 4, "direct"),  # a's highest: 4
            (b, "Teamwork", 2, "direct"),
            (c, "Teamwork", None, "direct"),  # not applicable: not assessed
            (c, "Teamwork", 3, "indirect"),  # self-assessment: apart
            (a, "Communication", 3, "direct"),
        ],
    )
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        report = services.attainment(scope)
        teamwork = _row(report, "Teamwork")
        direct, indirect = teamwork.measures["direct"], teamwork.measures["indirect"]
        assert (direct.n, direct.at_or_above, direct.percent) == (2, 1, 50.0)
        assert direct.counts() == [0, 1, 0, 1]
        assert (indirect.n, indirect.percent, indirect.counts()) == (1, 100.0, [0, 0, 1, 0])
        assert _row(report, "Leadership").measures["direct"].percent is None
        assert report.targets.level == 3


def test_a_target_per_outcome_changes_only_that_outcome(app, school, record):
    a, b = school.person("student"), school.person("student")
    advisor = school.person("advisor")
    record(
        school.tenant_id,
        [
            (a, "Teamwork", 2, "direct"),
            (b, "Teamwork", 3, "direct"),
            (a, "Technology", 2, "direct"),
        ],
    )
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        teamwork_id = _row(services.attainment(scope), "Teamwork").outcome.id
        services.save_targets(advisor.ctx(), scope.framework_id, 3, 5, {teamwork_id: 2})
        db.session.commit()
        report = services.attainment(scope)
        assert _row(report, "Teamwork").measures["direct"].percent == 100.0
        assert _row(report, "Technology").measures["direct"].percent == 0.0
        assert services.coverage(scope).min_evidence == 5


def test_terms_filter_and_trend_follow_the_course_terms(app, school, record):
    fall = school.person("student", course="fall-course")
    spring = school.person("student", course="spring-course")
    with app.app_context():
        fall_course, spring_course = fall.ctx().course_id, spring.ctx().course_id
    set_term(app, fall_course, "Fall 2025", "2025-09-01")
    set_term(app, spring_course, "Spring 2026", "2026-01-10")
    record(school.tenant_id, [(fall, "Teamwork", 2, "direct")])
    record(school.tenant_id, [(spring, "Teamwork", 4, "direct")])
    with app.app_context():
        assert services.list_terms(school.tenant_id) == ["Fall 2025", "Spring 2026"]
        only_spring = services.term_range(school.tenant_id, "Spring 2026", "")
    assert only_spring == ("Spring 2026",)
    scope = _scope(app, school.tenant_id, terms=only_spring)
    with app.app_context():
        direct = _row(services.attainment(scope), "Teamwork").measures["direct"]
        assert (direct.n, direct.percent) == (1, 100.0)
        trend = services.trend(_scope(app, school.tenant_id))
        assert trend.terms == ["Fall 2025", "Spring 2026"]
        teamwork = _row(services.attainment(scope), "Teamwork").outcome.id
        cells = trend.cells[teamwork]["direct"]
        assert (cells["Fall 2025"].percent, cells["Spring 2026"].percent) == (0.0, 100.0)


def test_a_reversed_term_range_is_refused(app, school):
    person = school.person("student", course="c-1")
    with app.app_context():
        course_id = person.ctx().course_id
    set_term(app, course_id, "Fall 2025", "2025-09-01")
    other = school.person("student", course="c-2")
    with app.app_context():
        other_course = other.ctx().course_id
    set_term(app, other_course, "Spring 2026", "2026-01-10")
    with app.app_context():
        assert services.term_range(school.tenant_id, "Fall 2025", "Spring 2026")  # control
        with pytest.raises(PolicyViolationError, match="comes after"):
            services.term_range(school.tenant_id, "Spring 2026", "Fall 2025")


def test_program_filter_uses_the_student_profile(app, school, record):
    a, b = school.person("student"), school.person("student")
    with app.app_context():
        a_id = a.ctx().user_id
    set_program(app, school.tenant_id, a_id, "BBA")
    record(school.tenant_id, [(a, "Teamwork", 4, "direct"), (b, "Teamwork", 1, "direct")])
    with app.app_context():
        assert services.list_programs(school.tenant_id) == ["BBA"]
    scope = _scope(app, school.tenant_id, program="BBA")
    with app.app_context():
        direct = _row(services.attainment(scope), "Teamwork").measures["direct"]
        assert (direct.n, direct.percent) == (1, 100.0)


def test_coverage_counts_per_course_and_listing_and_flags_thin_outcomes(
    app, school, record, seed_listing
):
    a = school.person("student", course="course-1")
    b = school.person("student", course="course-2")
    record(school.tenant_id, [(a, "Teamwork", 3, "direct"), (a, "Teamwork", 2, "indirect")])
    record(school.tenant_id, [(b, "Teamwork", 3, "direct"), (b, "Leadership", None, "direct")])
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        advisor = school.person("advisor")
        services.save_targets(advisor.ctx(), scope.framework_id, 3, 3, {})
        cover = services.coverage(scope)
        teamwork = next(o for o in cover.outcomes if o.name == "Teamwork")
        leadership = next(o for o in cover.outcomes if o.name == "Leadership")
        assert cover.totals[teamwork.id] == 3 and not cover.flagged(teamwork.id)
        assert cover.totals.get(leadership.id, 0) == 0 and cover.flagged(leadership.id)  # N/A
        assert len(cover.courses) == 2
        assert sorted(cover.cell("course", c.id, teamwork.id) for c in cover.courses) == [1, 2]
        assert [c.title for c in cover.listings] == ["No listing"]


def test_coverage_by_listing_shows_the_listings_with_the_most_evidence_and_counts_the_rest(
    app, school, record, seed_listing
):
    a, b = school.person("student"), school.person("student")
    made = {
        name: seed_listing(school.tenant_id, title=f"Listing {name}") for name in ("A", "B", "C")
    }
    record(school.tenant_id, [(a, "Teamwork", 3, "direct"), (b, "Teamwork", 2, "direct")],
           listing_id=made["A"])  # fmt: skip
    record(school.tenant_id, [(a, "Leadership", 4, "direct")], listing_id=made["A"])
    record(school.tenant_id, [(a, "Teamwork", 1, "direct"), (b, "Teamwork", 4, "direct")],
           listing_id=made["B"])  # fmt: skip
    record(school.tenant_id, [(a, "Teamwork", 2, "direct")], listing_id=made["C"])
    record(school.tenant_id, [(b, "Teamwork", 2, "direct")])  # no listing
    record(school.tenant_id, [(b, "Teamwork", None, "direct")], listing_id=made["C"])  # N/A
    scope = _scope(app, school.tenant_id)
    with app.app_context():
        top = services.coverage(scope, listing_limit=2)
        teamwork = next(o for o in top.outcomes if o.name == "Teamwork")
        leadership = next(o for o in top.outcomes if o.name == "Leadership")
        assert [c.title for c in top.listings] == ["Listing A", "Listing B"]
        assert top.listings_shown == 4  # A, B, C and "No listing" have rated evidence
        assert top.cell("listing", made["A"], teamwork.id) == 2
        assert top.cell("listing", made["A"], leadership.id) == 1
        assert top.cell("listing", made["B"], teamwork.id) == 2
        every = services.coverage(scope, listing_limit=None)  # the export's
        titles = ["Listing A", "Listing B", "No listing", "Listing C"]  # ties: "no listing" first
        assert [c.title for c in every.listings] == titles
        assert every.listings_shown == 4 and every.cell("listing", made["C"], teamwork.id) == 1


def test_evidence_on_an_aligned_course_outcome_counts_for_the_program_outcome(app, school, record):
    student = school.person("student")
    with app.app_context():
        ctx = student.ctx()
        program = fw_services.create_from_template(
            Actor(ctx.tenant_id, "Test Advisor"), "abet", "ABET outcomes", "BSCS"
        )
        course_fw = Framework(
            tenant_id=ctx.tenant_id,
            identifier="00000000-0000-4000-8000-000000000001",
            kind="course",
            source="lms",
            title="CS 195 outcomes",
            course_id=ctx.course_id,
        )
        db.session.add(course_fw)
        db.session.flush()
        outcome = FrameworkItem(
            tenant_id=ctx.tenant_id,
            framework_id=course_fw.id,
            identifier="00000000-0000-4000-8000-000000000002",
        )
        db.session.add(outcome)
        db.session.flush()
        version = FrameworkItemVersion(tenant_id=ctx.tenant_id, item_id=outcome.id, name="Debug")
        db.session.add(version)
        target = fw_services.tree(program)[0].item
        db.session.add(
            OutcomeAlignment(
                tenant_id=ctx.tenant_id,
                course_id=ctx.course_id,
                source_item_id=outcome.id,
                target_item_id=target.id,
            )
        )
        db.session.flush()
        db.session.add(
            Evidence(
                tenant_id=ctx.tenant_id,
                student_id=ctx.user_id,
                course_id=ctx.course_id,
                item_id=outcome.id,
                item_version_id=version.id,
                level=4,
                source="direct",
                method="faculty_rubric",
                origin="test:aligned",
            )
        )
        db.session.commit()
        report = services.attainment(services.Scope(ctx.tenant_id, program.id))
        row = next(r for r in report.rows if r.outcome.id == target.id)
        assert (row.measures["direct"].n, row.measures["direct"].percent) == (1, 100.0)
        assert sum(r.measures["direct"].n for r in report.rows) == 1


def test_student_competencies_are_the_students_own(app, school, record):
    a, b = school.person("student"), school.person("student")
    record(school.tenant_id, [(a, "Teamwork", 2, "direct"), (a, "Teamwork", 3, "direct")])
    record(school.tenant_id, [(a, "Teamwork", 4, "indirect"), (b, "Leadership", 4, "direct")])
    with app.app_context():
        rows = services.student_competencies(school.tenant_id, a.ctx().user_id)
    assert [
        (r.outcome, r.direct_level, r.direct_name, r.indirect_level, r.observations) for r in rows
    ] == [("Teamwork", 3, "Early Application", 4, 3)]


def test_pseudonyms_and_sample_keys():
    # the export's cells: tests/lti_tool/test_csvsafe.py
    one = export_zip.pseudonym("secret", 1, 42)
    assert one == export_zip.pseudonym("secret", 1, 42) and one.startswith("S-") and len(one) == 18
    assert one != export_zip.pseudonym("secret", 1, 43) != export_zip.pseudonym("other", 1, 42)
    assert export_zip.sample_key("seed", 7) == export_zip.sample_key("seed", 7)
    assert export_zip.sample_key("seed", 7) != export_zip.sample_key("seed2", 7)


def test_outcomes_on_parallel_connections_give_the_figures_of_one(app, school, record):
    """On PostgreSQL the per-outcome statements run on ATTAINMENT_PARALLEL connections reading
    the request's snapshot: the report and the trend are the ones a single connection gives."""
    people = [school.person("student") for _ in range(4)]
    record(
        school.tenant_id,
        [
            (people[0], "Teamwork", 4, "direct"),
            (people[1], "Teamwork", 2, "direct"),
            (people[1], "Communication", 3, "direct"),
            (people[2], "Leadership", 1, "indirect"),
            (people[3], "Communication", 4, "indirect"),
        ],
    )
    scope = _scope(app, school.tenant_id)

    def figures(parallel: int):
        app.config["ATTAINMENT_PARALLEL"] = parallel
        with app.app_context():
            report = services.attainment(scope)
            trend = services.trend(scope)
            return (
                {
                    (r.outcome.name, m): (r.measures[m].counts(), r.measures[m].percent)
                    for r in report.rows
                    for m in r.measures
                },
                {
                    oid: {m: dict(cells) for m, cells in by.items()}
                    for oid, by in trend.cells.items()
                },
            )

    try:
        one, two = figures(1), figures(2)
    finally:
        app.config["ATTAINMENT_PARALLEL"] = 2
    assert one == two
    assert one[0][("Teamwork", "direct")] == ([0, 1, 0, 1], 50.0)
