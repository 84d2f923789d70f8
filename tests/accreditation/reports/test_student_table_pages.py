"""The student table's count and pages: newest engagement first on every page, whether the
matches are fewer than the count's cap (one statement counts them and cuts the page) or more
(the page is then read newest first from all of them), and the at-risk filter "any" as the
union of the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accreditation.reports.services import students
from accreditation.reports.services.risk import RULES, Thresholds
from accreditation.reports.services.students import StudentQuery, student_page
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import utcnow

from .conftest import World


def _page(world: World, page: int, **filters) -> students.StudentPage:
    query = StudentQuery(per_page=1, page=page, **filters)
    return student_page(world.tenant_id, query, Thresholds(), dt.date.today(), utcnow())


def _newest_first(world: World) -> list[int]:
    return list(
        db.session.scalars(
            select(Engagement.id)
            .where(Engagement.tenant_id == world.tenant_id)
            .order_by(Engagement.id.desc())
        )
    )


@pytest.mark.parametrize("cap", [students.COUNT_CAP, 2])
def test_each_page_is_the_next_newest_below_and_above_the_count_cap(
    world: World, app, monkeypatch, cap: int
):
    monkeypatch.setattr(students, "COUNT_CAP", cap)
    with app.app_context():
        newest = _newest_first(world)
        assert len(newest) == 4
        pages = [_page(world, n) for n in range(1, 6)]
        assert [[r.engagement_id for r in p.rows] for p in pages] == [[i] for i in newest] + [[]]
        # the count is exact below the cap and the cap above it, also past the last page
        assert {p.total for p in pages} == {min(4, cap)}
        assert pages[0].capped is (cap <= 4)


def test_a_combination_matching_nothing_has_no_rows_on_any_page(world: World, app):
    with app.app_context():
        for n in (1, 2):
            page = _page(world, n, program="Computer Science", term="No such term")
            assert (page.total, page.rows) == (0, [])
        # the positive control: the course's term holds Ben's engagements
        query = StudentQuery(per_page=100, program="Computer Science", term="Fall term")
        found = student_page(world.tenant_id, query, Thresholds(), dt.date.today(), utcnow())
        assert found.total == len(found.rows) > 0
        assert {r.name for r in found.rows} == {"Benjamin Tran"}


def test_at_risk_any_is_every_engagement_some_rule_flags(world: World, app):
    with app.app_context():

        def flagged(risk: str) -> set[int]:
            query = StudentQuery(per_page=100, risk=risk)
            page = student_page(world.tenant_id, query, Thresholds(), dt.date.today(), utcnow())
            return {r.engagement_id for r in page.rows}

        by_rule = set().union(*(flagged(rule) for rule in RULES))
        assert by_rule  # the world has a case of each rule
        assert flagged("any") == by_rule
