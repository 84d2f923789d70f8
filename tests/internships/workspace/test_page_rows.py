"""The engagement page reads its single rows (reflection, evaluation with its ratings, offer,
pay row with its overdue notices, checklist templates) in one statement (issue 16): each is
what its own read returns, the panels then read none of them again, and the student's page
runs a fixed number of statements."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape
from sqlalchemy.dialects import postgresql

from internships.employers.pay.models import EngagementPay, OverduePayment
from internships.employers.pay.services import figures
from internships.employers.portal import offers
from internships.employers.portal.models import EngagementOffer
from internships.work.models import CompetencyRating, Reflection, SupervisorEvaluation
from internships.work.services import evaluations, handins
from internships.work.services.access import get_engagement_by_id
from internships.work.services.reads import kept
from internships.workspace import page_rows
from internships.workspace.page_rows import page_engagement
from internships.workspace.plan.models import ChecklistTemplate
from internships.workspace.plan.services import checklists
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from tests.helpers import counted
from tests.internships.work.helpers import engaged

# the student's page of an engagement with its agreement acknowledged and no hours yet: the
# launch, the engagement with its single rows, its lists (hour logs, deliverables, reopenings,
# messages, checklist rows, milestones with their changes, check-ins, payments:
# ``workspace.page_lists``)
PAGE_STATEMENTS = 3


def _kept_reads(engagement) -> tuple:
    """What the page and its panels read of the single rows (kept once per transaction)."""
    evaluation = evaluations.evaluation_of(engagement)
    return (
        handins.reflection_of(engagement),
        evaluation,
        [rating.competency for rating in evaluation.ratings] if evaluation else [],
        kept("offer", engagement, lambda: offers.offer_of(engagement.tenant_id, engagement.id)),
        figures.pay_basis(engagement),
        [item.label for item in checklists.checklist_of(engagement)],
    )


def _fresh_reads(engagement) -> tuple:
    db.session.begin_nested().rollback()  # what a transaction kept is dropped
    return _kept_reads(engagement)


def _add_rows(engagement) -> None:
    ids = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    employer = {"student_id": engagement.student_id, "employer_id": engagement.listing.employer_id}
    evaluation = SupervisorEvaluation(**ids, supervisor_name="Sam Lee", comments="Good")
    evaluation.ratings = [
        CompetencyRating(tenant_id=engagement.tenant_id, competency=name, level=3)
        for name in ("communication", "teamwork")
    ]
    db.session.add_all(
        [
            Reflection(**ids, answers={"learned": "a lot"}),
            evaluation,
            EngagementOffer(**ids, **employer, would_hire=True, kind="job", status="offered"),
            EngagementPay(**ids, **employer, compensation_type="hourly", amount_cents=2500),
            OverduePayment(
                **ids, **employer, due_on=dt.date(2026, 3, 2), amount_cents=100, currency="USD"
            ),
        ]
    )
    for listing_id, label in ((engagement.listing_id, "Listing's"), (None, "Default")):
        items = [{"label": f"{label} item", "kickoff": False}]
        db.session.add(
            ChecklistTemplate(tenant_id=engagement.tenant_id, listing_id=listing_id, items=items)
        )
    db.session.flush()


def test_the_single_rows_are_what_each_read_returns_in_one_statement(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = get_engagement_by_id(world["school"].tenant_id, engagement_id)
        empty = _fresh_reads(engagement)
        assert empty[:4] == (None, None, [], None)
        _add_rows(engagement)
        fresh = _fresh_reads(engagement)
        assert fresh[0] is not None and fresh[1] is not None and fresh[3] is not None
        assert fresh[2] == ["communication", "teamwork"]
        assert fresh[4] is not None and fresh[4].ever_overdue and fresh[4].open_notice
        assert fresh[5] == ["Listing's item"]  # the listing's template before the default
        db.session.begin_nested().rollback()
        ctx = world["student"].ctx()
        with counted() as seen:
            assert page_engagement(ctx, engagement_id) is engagement
        assert len(seen) == 1
        checklists.stored_items(engagement)  # its own statement (rows, not a single row)
        with counted() as seen:
            again = _kept_reads(engagement)
        assert len(seen) == 1  # the checklist's rows only
        assert again == fresh


def test_the_tenant_s_default_template_without_the_listing_s(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = get_engagement_by_id(world["school"].tenant_id, engagement_id)
        builtin = _fresh_reads(engagement)[5]
        db.session.begin_nested().rollback()
        ctx = world["student"].ctx()
        page_engagement(ctx, engagement_id)
        assert _kept_reads(engagement)[5] == builtin
        items = [{"label": "Default item", "kickoff": True}]
        db.session.add(
            ChecklistTemplate(tenant_id=engagement.tenant_id, listing_id=None, items=items)
        )
        db.session.flush()
        page_engagement(ctx, engagement_id)
        assert _kept_reads(engagement)[5] == ["Default item"] == _fresh_reads(engagement)[5]


def test_the_page_engagement_is_the_launch_s_to_see_only(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        for role in ("student", "advisor"):
            assert page_engagement(world[role].ctx(), engagement_id).id == engagement_id
        for role, wanted in (("other", engagement_id), ("student", engagement_id + 1000)):
            ctx = world[role].ctx()
            with pytest.raises(NotFoundError, match="not yours to see"):
                page_engagement(ctx, wanted)


def test_the_student_s_engagement_page_runs_a_fixed_number_of_statements(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    url = f"/work/engagements/{engagement_id}?lid={student.lid}"
    assert student.client.get(url).status_code == 200
    with app.app_context(), counted() as seen:
        page = student.client.get(url)
    assert page.status_code == 200
    assert len(seen) == PAGE_STATEMENTS, "\n".join(s[:80] for s in seen)


def test_the_advisor_s_page_reads_the_engagement_s_names_with_it(app, world):
    # the listing, employer, student and course come with only the columns the page shows: the
    # staff's page (the student's name and email, the listing's hours and pay) reads no more
    engagement_id = engaged(app, world)
    advisor = world["advisor"]
    url = f"/work/engagements/{engagement_id}?lid={advisor.lid}"
    assert advisor.client.get(url).status_code == 200
    with app.app_context(), counted() as seen:
        page = advisor.client.get(url)
    assert page.status_code == 200
    assert len(seen) == PAGE_STATEMENTS, "\n".join(s[:80] for s in seen)
    with app.app_context():
        engagement = get_engagement_by_id(world["school"].tenant_id, engagement_id)
        student = engagement.student.name or engagement.student.email
        shown = (student, engagement.listing.title, engagement.listing.employer.name)
    text = page.get_data(as_text=True)
    assert all(shown) and all(str(escape(value)) in text for value in shown)


def test_the_statement_is_short_enough_for_psycopg_to_keep_its_parse(app):
    # psycopg parses a statement longer than 4,096 characters again on every execution
    with app.app_context():
        sql = str(page_rows._statement().compile(dialect=postgresql.psycopg.dialect()))
    assert "reflection AS r" in sql  # control: the whole statement, with its short aliases
    assert len(sql) <= 4096
