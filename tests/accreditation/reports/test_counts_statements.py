"""The advisor's home counts and the student table's filter choices, each read by one statement
built once: the figures agree with each counted on its own (in the term and over all time),
stay within the tenant, and the choices keep their order."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from accreditation.reports.services.common import current_term, terms
from accreditation.reports.services.credit import credit_progress_for
from accreditation.reports.services.dashboard import home_counts
from accreditation.reports.services.glance import engagements_by_state
from accreditation.reports.services.risk import Thresholds
from accreditation.reports.services.student_rows import rows_for
from accreditation.reports.services.students import filter_options
from credit.models import CreditAward, CreditPolicy
from internships.models import Listing
from internships.work.models import ENGAGEMENT_STATUSES, Application, Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.jobs.models import FAILED, PENDING, SENDING, OutboxMessage
from lti_tool.models import Course, utcnow
from tests.helpers import counted

from .conftest import World


def _award(world: World, student: str, credits: int, status: str = "final", **extra) -> CreditAward:
    award = CreditAward(
        tenant_id=world.tenant_id,
        course_id=world.ids["course"],
        student_id=world.ids[student],
        idempotency_key=uuid.uuid4().hex,
        credits=credits,
        grading_mode="pass_fail",
        score_given=1.0,
        score_maximum=1.0,
        grade_label="Pass",
        status=status,
        decided_by="Faculty",
        **extra,
    )
    db.session.add(award)
    db.session.flush()
    return award


def _outbox(world: World, kind: str, status: str) -> None:
    db.session.add(OutboxMessage(tenant_id=world.tenant_id, kind=kind, payload={}, status=status))


def _one_by_one(tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None, term) -> tuple:
    """Each figure counted by its own statement, as the counts were before one statement."""

    def count(model, *where) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    in_span = span is not None
    applications = count(
        Application,
        Application.tenant_id == tenant_id,
        *((Application.created_at >= span[0], Application.created_at < span[1]) if in_span else ()),
    )
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(HourLog.minutes), 0)).where(
            HourLog.tenant_id == tenant_id,
            HourLog.status == "confirmed",
            *((HourLog.work_date >= term.start, HourLog.work_date <= term.end) if in_span else ()),
        )
    )
    credits = db.session.scalar(
        select(func.coalesce(func.sum(CreditAward.credits), 0)).where(
            CreditAward.tenant_id == tenant_id,
            CreditAward.superseded_by_id.is_(None),
            CreditAward.status == "final",
            *(
                (CreditAward.created_at >= span[0], CreditAward.created_at < span[1])
                if in_span
                else ()
            ),
        )
    )
    grades = {
        status: count(
            OutboxMessage,
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status == status,
            OutboxMessage.kind != "email",
        )
        for status in (PENDING, SENDING, FAILED)
    }
    return (
        count(Listing, Listing.tenant_id == tenant_id, Listing.status == "open"),
        applications,
        count(Engagement, Engagement.tenant_id == tenant_id, Engagement.status == "active"),
        int(minutes or 0) / 60,
        int(credits or 0),
        grades[PENDING] + grades[SENDING],
        grades[FAILED],
    )


def _figures(counts) -> tuple:
    return (
        counts.open_listings,
        counts.applications,
        counts.active_engagements,
        counts.confirmed_hours,
        counts.credits_awarded,
        counts.grades_pending,
        counts.grades_failed,
    )


def test_the_home_counts_agree_with_each_figure_counted_alone_in_one_statement(
    app, world: World, make_school
):
    other = make_school()
    with app.app_context():
        first = _award(world, "amara", 2)
        # replaced: not counted
        _award(world, "amara", 1, superseded_by_id=first.id, superseded_at=utcnow())
        _award(world, "ben", 3, status="awaiting_approval")  # not final
        _award(world, "chloe", 1, created_at=utcnow() - dt.timedelta(days=400))  # before the term
        _outbox(world, "grade", PENDING)
        _outbox(world, "grade", SENDING)
        _outbox(world, "grade", FAILED)
        _outbox(world, "email", FAILED)  # email is not a grade
        db.session.flush()
        term = current_term(terms(world.tenant_id), dt.date.today())
        assert term is not None and term.name == "Fall term"
        with counted() as seen:
            in_term = home_counts(world.tenant_id, term)
            all_time = home_counts(world.tenant_id, None)
            elsewhere = home_counts(other.tenant_id, term)
        assert len(seen) == 3  # one statement each
        assert _figures(in_term) == _one_by_one(world.tenant_id, term.span, term)
        assert _figures(all_time) == _one_by_one(world.tenant_id, None, None)
        assert (in_term.credits_awarded, all_time.credits_awarded) == (2, 3)
        assert (in_term.grades_pending, in_term.grades_failed) == (2, 1)
        assert in_term.active_engagements >= 1 and in_term.confirmed_hours > 0
        assert _figures(elsewhere) == (0, 0, 0, 0, 0, 0, 0)
        db.session.rollback()


def test_engagements_per_state_agree_with_a_grouped_count(app, world: World, make_school):
    other = make_school()
    with app.app_context():
        grouped = dict(
            db.session.execute(
                select(Engagement.status, func.count())
                .where(Engagement.tenant_id == world.tenant_id)
                .group_by(Engagement.status)
            ).all()
        )
        with counted() as seen:
            states = engagements_by_state(world.tenant_id)
        assert len(seen) == 1
        assert states == [(state, grouped.get(state, 0)) for state in ENGAGEMENT_STATUSES]
        assert sum(n for _, n in states) == 4  # Amara's, Ben's two, Chloé's
        assert all(n == 0 for _, n in engagements_by_state(other.tenant_id))
        db.session.rollback()


def test_the_table_rows_read_hours_and_evaluations_with_the_details(app, world: World):
    ids = [world.ids[k] for k in ("e_chloe", "e_ben_low", "e_ben_late", "e_amara")]
    with app.app_context():
        with counted() as seen:
            rows = rows_for(world.tenant_id, ids, Thresholds(), dt.date.today(), utcnow())
        # the details with hours, evaluations and credit; the tenant's credit defaults (the
        # course has no stored policy), read once for every row
        assert len(seen) == 2 and "FROM tenant" in seen[1]
        assert "hour_log" in seen[0] and "supervisor_evaluation" in seen[0]
        assert "credit_award" in seen[0] and "credit_policy" in seen[0]
        by_id = {r.engagement_id: r for r in rows}
        assert [r.engagement_id for r in rows] == ids
        low, late = by_id[world.ids["e_ben_low"]], by_id[world.ids["e_ben_late"]]
        assert (low.logged_minutes, low.confirmed_minutes) == (1260, 1200)  # pending is logged
        assert low.evaluation == "Evaluated, average level 2.0 of 4"
        assert low.last_activity == dt.date.today()  # the evaluation's submission
        assert (late.logged_minutes, late.confirmed_minutes) == (600, 600)
        assert late.evaluation == "Overdue"
        amara, chloe = by_id[world.ids["e_amara"]], by_id[world.ids["e_chloe"]]
        assert amara.confirmed_minutes == 120 and amara.evaluation == "Not yet"
        assert amara.last_activity is not None
        assert (chloe.logged_minutes, chloe.evaluation) == (0, "Not yet")
        db.session.rollback()


def test_the_filter_choices_list_courses_by_title_then_each_term_once(app, world: World):
    with app.app_context():
        for n, (title, term) in enumerate(
            [("Accounting 101", "Spring term"), ("Zoology 9", "Fall term"), ("Biology", None)]
        ):
            db.session.add(
                Course(
                    tenant_id=world.tenant_id,
                    issuer="https://lms.example",
                    context_id=f"extra-{n}",
                    title=title,
                    term_name=term,
                )
            )
        db.session.flush()
        courses = db.session.execute(
            select(Course.id, Course.title, Course.term_name)
            .where(Course.tenant_id == world.tenant_id)
            .order_by(Course.title, Course.id)
        ).all()
        with counted() as seen:
            options = filter_options(world.tenant_id)
        assert [cid for cid, _ in options.courses] == [cid for cid, _, _ in courses]
        assert "Accounting 101 (Spring term)" in [label for _, label in options.courses]
        assert "Biology" in [label for _, label in options.courses]
        assert options.terms == ["Fall term", "Spring term"]
        assert len(seen) == 1  # programs, courses, terms and employers
        db.session.rollback()


def test_the_table_rows_credit_agrees_with_the_credit_figures(app, world: World, make_school):
    """Each row's credit progress, read with its details, is what ``credit_progress_for``
    works out for its (student, course): the course's stored policy, the current award (not
    superseded or declined), the confirmed hours of the student's engagements in the course;
    another tenant's award for the same people is never read."""
    other = make_school()
    ids = [world.ids[k] for k in ("e_chloe", "e_ben_low", "e_ben_late", "e_amara")]
    with app.app_context():
        db.session.add(
            CreditPolicy(
                tenant_id=world.tenant_id,
                course_id=world.ids["course"],
                hours_per_credit=10,
                max_credits=2,
            )
        )
        old = _award(world, "ben", 1)
        old.superseded_at = utcnow()
        db.session.flush()
        old.superseded_by_id = _award(world, "ben", 2, supersedes_id=old.id).id
        _award(world, "amara", 1, status="awaiting_approval")
        _award(world, "chloe", 2, status="declined")
        db.session.flush()
        rows = rows_for(world.tenant_id, ids, Thresholds(), dt.date.today(), utcnow())
        pairs = [(r.student_id, r.course_id) for r in rows]
        expected = credit_progress_for(world.tenant_id, pairs)
        assert [r.credit for r in rows] == [expected[pair] for pair in pairs]
        by_student = {r.student_id: r.credit for r in rows}
        ben, amara, chloe = (by_student[world.ids[k]] for k in ("ben", "amara", "chloe"))
        assert ben is not None and (ben.credits_awarded, ben.award_status) == (2, "final")
        assert ben.label == "2 of 2 credits awarded" and ben.approved_hours == 30
        assert amara is not None and amara.label == "Award awaiting approval"
        assert chloe is not None and chloe.label == "0% of 20 h"  # declined: no award
        assert rows_for(other.tenant_id, ids, Thresholds(), dt.date.today(), utcnow()) == []
        db.session.rollback()
