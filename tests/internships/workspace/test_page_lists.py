"""The engagement page reads its lists (hour logs, deliverables, open reopenings, the latest
messages with the reader's read mark, the message count, the reader's participation, checklist
rows, milestones with their changes, the latest check-ins, payments) in one statement (issue
16): each is what its own read returns, in its own order and limit, only the engagement's, and
the page and its panels then read none of them again."""

from __future__ import annotations

import datetime as dt

from internships.employers.pay.models import Payment
from internships.employers.pay.services.payments import payments_of
from internships.models import Listing
from internships.work.models import Deliverable, EngagementReopening, HourLog
from internships.work.services import handins, hours, reopenings
from internships.work.services.access import get_engagement_by_id
from internships.work.services.reads import kept
from internships.workspace.messages import services as messages
from internships.workspace.messages.models import (
    MessageParticipant,
    MessageRead,
    WorkspaceMessage,
)
from internships.workspace.page_lists import read_page_lists
from internships.workspace.plan.models import ChecklistItem, Milestone, MilestoneChange
from internships.workspace.plan.services import checklists
from internships.workspace.plan.services.milestone_rows import milestones_and_changes
from internships.workspace.rhythm import checkins
from internships.workspace.rhythm.models import CheckIn
from lti_tool.extensions import db
from tests.helpers import counted
from tests.internships.work.helpers import engaged

DAY = dt.date(2026, 3, 2)
NOON = dt.datetime(2026, 3, 2, 12, 0)


def _reads(engagement, reader) -> dict:
    """What the page and its panels read of the engagement's lists (the checklist: its rows,
    written already)."""
    return {
        "hour_logs": hours.hour_logs(engagement),
        "deliverables": handins.deliverables(engagement),
        "open_reopenings": reopenings.open_reopenings(engagement),
        "messages": messages.latest_and_read(engagement, reader),
        "message_count": messages.message_count(engagement),
        "participant": messages.is_participant(engagement, reader),
        "checklist_rows": checklists.checklist_of(engagement),
        "milestones": milestones_and_changes(engagement),
        "checkins": checkins.recent_checkins(engagement),
        "payments": kept("payments", engagement, lambda: payments_of(engagement)),  # the panel's
    }


def _fresh(engagement, reader) -> dict:
    db.session.begin_nested().rollback()  # what a transaction kept is dropped
    return _reads(engagement, reader)


def _add_rows(engagement, scale: int) -> None:
    """Rows of every list, out of their order; ``scale`` more messages and check-ins than a
    page shows."""
    ids = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    student = {"student_id": engagement.student_id}
    employer = {**student, "employer_id": engagement.listing.employer_id}
    rows: list = []
    for n, days in enumerate((5, 1, 3, 1)):
        day = DAY + dt.timedelta(days=days)
        rows.append(HourLog(**ids, **student, work_date=day, minutes=60 + n, description=f"H{n}"))
        rows.append(Payment(**ids, **employer, amount_cents=n, currency="USD", paid_on=day))
        rows.append(
            Milestone(**ids, title=f"M{n}", due_date=day, position=4 - n),
        )
        rows.append(ChecklistItem(**ids, position=7 - n, label=f"C{n}"))
        when = NOON - dt.timedelta(hours=days)
        rows.append(Deliverable(**ids, title=f"D{n}", url="https://example.org", created_at=when))
        rows.append(
            MilestoneChange(
                **ids,
                kind="add",
                after={"title": f"P{n}", "due_date": DAY.isoformat()},
                proposed_by="student",
                proposed_role="student",
                proposed_at=when,
            )
        )
        closed = NOON if n == 2 else None
        rows.append(EngagementReopening(**ids, request_id=n, kind="hours", closed_at=closed))
    for week in range(checkins.SHOWN + scale):
        rows.append(CheckIn(**ids, **student, week_start=DAY - dt.timedelta(weeks=week)))
    for n in range(messages.SHOWN + scale):
        rows.append(WorkspaceMessage(**ids, author_kind="student", body=f"Message {n}"))
    db.session.add_all(rows)
    db.session.flush()


def _other_engagement(app, world, seed_listing) -> int:
    other_listing = seed_listing(world["school"].tenant_id)
    with app.app_context():  # open, as the world's listing is
        db.session.get(Listing, other_listing).status = "open"
        db.session.commit()
    return engaged(app, {**world, "student": world["other"], "listing": other_listing})


def test_each_list_is_what_its_own_read_returns_in_one_statement(app, world, seed_listing):
    mine = engaged(app, world)
    theirs = _other_engagement(app, world, seed_listing)
    with app.app_context():
        tenant_id = world["school"].tenant_id
        engagement = get_engagement_by_id(tenant_id, mine)
        advisor = world["advisor"].ctx()
        reader = messages.Reader.of_launch(advisor)
        _add_rows(get_engagement_by_id(tenant_id, theirs), 0)  # another engagement's
        db.session.add(
            MessageParticipant(
                tenant_id=tenant_id, engagement_id=theirs, user_id=advisor.user_id, role="advisor"
            )
        )
        empty = _fresh(engagement, reader)
        assert empty["messages"] == ([], 0) and not empty["participant"]
        _add_rows(engagement, 3)
        mark = messages.latest_and_read(engagement, reader)[0][-5].id
        db.session.begin_nested().rollback()
        db.session.add_all(
            [
                MessageRead(
                    tenant_id=tenant_id, engagement_id=mine, reader=reader.key, last_read_id=mark
                ),
                MessageParticipant(
                    tenant_id=tenant_id, engagement_id=mine, user_id=advisor.user_id, role="advisor"
                ),
            ]
        )
        db.session.flush()
        fresh = _fresh(engagement, reader)
        assert [log.description for log in fresh["hour_logs"]] == ["H1", "H3", "H2", "H0"]
        assert len(fresh["messages"][0]) == messages.SHOWN and fresh["participant"]
        assert fresh["messages"][1] == mark
        assert fresh["message_count"] == messages.SHOWN + 3
        assert len(fresh["checkins"]) == checkins.SHOWN
        assert len(fresh["open_reopenings"]) == 3
        db.session.begin_nested().rollback()
        with counted() as seen:
            read_page_lists(engagement, reader)
            again = _reads(engagement, reader)
        assert len(seen) == 1, "\n".join(s[:80] for s in seen)
        assert again == fresh


def test_a_student_reads_their_own_mark_and_no_participation(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = get_engagement_by_id(world["school"].tenant_id, engagement_id)
        reader = messages.Reader.of_launch(world["student"].ctx())
        _add_rows(engagement, 0)
        shown = messages.latest_and_read(engagement, reader)[0]
        messages.mark_read(engagement, reader, shown[-3].id)
        fresh = _fresh(engagement, reader)
        assert fresh["messages"][1] == shown[-3].id
        db.session.begin_nested().rollback()
        with counted() as seen:
            read_page_lists(engagement, reader)
            assert _reads(engagement, reader) == fresh
        assert len(seen) == 1
