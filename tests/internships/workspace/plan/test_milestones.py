"""Milestones through the pages: proposed by one party and agreed by the other (the student on
the engagement page, the supervisor on their workspace page), the change history, a
deliverable attached marks one done, late and due computed, refusals that save nothing, and
another student's milestones out of reach."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from internships.work.models import Deliverable
from internships.workspace.plan.models import Milestone, MilestoneChange
from internships.workspace.plan.services import due_on, late_milestones, milestones
from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from tests.internships.work.helpers import PDF, engaged

from .helpers import (
    Supervisor,
    agreed_milestone,
    changes,
    launch_page,
    launch_post,
    tenant_today,
)


def _milestones(app, engagement_id: int) -> list[tuple[str, dt.date, bool]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Milestone).where(Milestone.engagement_id == engagement_id).order_by(Milestone.id)
        )
        return [(m.title, m.due_date, m.done_at is not None) for m in rows]


def _notices(app, engagement_id: int) -> list[str]:
    """The kinds of the student's in-app notices about the engagement (an email goes with each)."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.kind)
                .where(
                    Notification.engagement_id == engagement_id,
                    Notification.kind.startswith("milestone_"),
                )
                .order_by(Notification.id)
            )
        )


def _count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_student_proposes_and_the_supervisor_agrees(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=10)
    resp = launch_post(
        student, engagement_id, "milestones.propose", title="Survey draft", due_date=due.isoformat()
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert _milestones(app, engagement_id) == []  # not agreed yet
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "Add “Survey draft”" in page and "waiting for the supervisor" in page

    supervisor = Supervisor(app, engagement_id)
    text = supervisor.get().get_data(as_text=True)
    assert "Add “Survey draft”" in text and 'value="agree"' in text
    change = changes(app, engagement_id)[0]
    resp = supervisor.post("milestones.answer", change=str(change.id), answer="agree")
    assert resp.status_code == 303
    assert _milestones(app, engagement_id) == [("Survey draft", due, False)]
    change = changes(app, engagement_id)[0]
    assert change.status == "agreed" and change.proposed_role == "student"
    assert change.student_agreed_at and change.supervisor_agreed_by.startswith("supervisor link")
    assert change.after == {"title": "Survey draft", "due_date": due.isoformat()}
    assert _notices(app, engagement_id) == ["milestone_agreed"]

    # the supervisor proposes a new date; the student agrees: before and after recorded
    milestone_id = changes(app, engagement_id)[0].milestone_id
    later = due + dt.timedelta(days=3)
    resp = supervisor.post(
        "milestones.propose",
        milestone=str(milestone_id),
        title="Survey draft",
        due_date=later.isoformat(),
    )
    assert resp.status_code == 303
    edit = changes(app, engagement_id)[1]
    assert _notices(app, engagement_id) == ["milestone_agreed", "milestone_proposed"]
    assert edit.kind == "edit" and edit.before["due_date"] == due.isoformat()
    resp = launch_post(
        student, engagement_id, "milestones.answer", change=str(edit.id), answer="agree"
    )
    assert resp.status_code == 303
    assert _milestones(app, engagement_id) == [("Survey draft", later, False)]
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "History of changes" in page and "Changed" in page


def test_a_proposal_is_declined_or_withdrawn(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    for title in ("First", "Second"):
        launch_post(
            student, engagement_id, "milestones.propose", title=title, due_date=due.isoformat()
        )
    first, second = changes(app, engagement_id)
    # the proposer cannot agree for the other party
    resp = launch_post(
        student, engagement_id, "milestones.answer", change=str(first.id), answer="agree"
    )
    assert resp.status_code == 422
    assert "does not wait for your agreement" in resp.get_data(as_text=True)
    supervisor = Supervisor(app, engagement_id)
    assert (
        supervisor.post("milestones.answer", change=str(first.id), answer="close").status_code
        == 303
    )
    resp = launch_post(
        student, engagement_id, "milestones.answer", change=str(second.id), answer="close"
    )
    assert resp.status_code == 303
    assert [c.status for c in changes(app, engagement_id)] == ["declined", "withdrawn"]
    assert _milestones(app, engagement_id) == []


def test_an_advisor_proposal_waits_for_both_parties(app, world):
    engagement_id = engaged(app, world)
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    resp = launch_post(
        world["advisor"],
        engagement_id,
        "milestones.propose",
        title="Mid-point check",
        due_date=due.isoformat(),
    )
    assert resp.status_code == 303
    change = changes(app, engagement_id)[0]
    launch_post(
        world["student"], engagement_id, "milestones.answer", change=str(change.id), answer="agree"
    )
    assert _milestones(app, engagement_id) == []  # the supervisor has not agreed yet
    Supervisor(app, engagement_id).post("milestones.answer", change=str(change.id), answer="agree")
    assert _milestones(app, engagement_id) == [("Mid-point check", due, False)]


def test_removing_a_milestone_is_agreed_too(app, world):
    engagement_id = engaged(app, world)
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    milestone_id = agreed_milestone(app, world, engagement_id, "Slides", due)
    supervisor = Supervisor(app, engagement_id)
    assert supervisor.post("milestones.remove", milestone=str(milestone_id)).status_code == 303
    remove = changes(app, engagement_id)[-1]
    assert remove.kind == "remove" and remove.before["title"] == "Slides"
    launch_post(
        world["student"], engagement_id, "milestones.answer", change=str(remove.id), answer="agree"
    )
    assert _milestones(app, engagement_id) == []
    assert changes(app, engagement_id)[-1].status == "agreed"


def test_past_invalid_dates_and_empty_titles_are_refused_and_nothing_saved(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    yesterday = tenant_today(app, world["school"].tenant_id) - dt.timedelta(days=1)
    before = _count(app, MilestoneChange)
    for data, message in (
        ({"title": "Draft", "due_date": yesterday.isoformat()}, "The due date has passed"),
        ({"title": "Draft", "due_date": "2026-02-30"}, "Enter a date, like 2026-12-31."),
        ({"title": "   ", "due_date": "2030-01-01"}, "Enter what the milestone is."),
        ({"title": "x" * 201, "due_date": "2030-01-01"}, "200 characters"),
    ):
        resp = launch_post(student, engagement_id, "milestones.propose", **data)
        text = resp.get_data(as_text=True)
        assert resp.status_code == 422, (data, text[:500])
        assert message in text, (message, text[:2000])
        assert 'aria-invalid="true"' in text
    assert _count(app, MilestoneChange) == before


def test_a_deliverable_attached_marks_the_milestone_done(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    today = tenant_today(app, world["school"].tenant_id)
    milestone_id = agreed_milestone(
        app, world, engagement_id, "Final report", today + dt.timedelta(days=3)
    )
    resp = launch_post(
        student,
        engagement_id,
        "deliverable",
        title="Final report v1",
        file=(io.BytesIO(PDF), "report.pdf"),
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        deliverable_id = db.session.scalar(
            select(Deliverable.id).where(Deliverable.engagement_id == engagement_id)
        )
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert f'id="attach-{milestone_id}"' in page and 'data-state="due"' in page
    resp = launch_post(
        student,
        engagement_id,
        "milestones.attach",
        milestone=str(milestone_id),
        deliverable=str(deliverable_id),
    )
    assert resp.status_code == 303
    assert _milestones(app, engagement_id)[0][2] is True
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert 'data-state="done"' in page and "answered by “Final report v1”" in page
    # the supervisor does not attach
    resp = Supervisor(app, engagement_id).post(
        "milestones.attach", milestone=str(milestone_id), deliverable=""
    )
    assert resp.status_code == 403


def test_a_deliverable_of_another_engagement_is_refused(app, world):
    engagement_id = engaged(app, world)
    today = tenant_today(app, world["school"].tenant_id)
    milestone_id = agreed_milestone(
        app, world, engagement_id, "Report", today + dt.timedelta(days=3)
    )
    resp = launch_post(
        world["student"],
        engagement_id,
        "milestones.attach",
        milestone=str(milestone_id),
        deliverable="999999",
    )
    assert resp.status_code == 422
    assert _milestones(app, engagement_id)[0][2] is False


def test_late_and_due_are_computed(app, world):
    engagement_id = engaged(app, world)
    tenant_id = world["school"].tenant_id
    today = tenant_today(app, tenant_id)
    late_id = agreed_milestone(
        app, world, engagement_id, "Interview notes", today + dt.timedelta(days=1)
    )
    due_id = agreed_milestone(app, world, engagement_id, "Slides", today + dt.timedelta(days=2))
    with app.app_context():
        db.session.get(Milestone, late_id).due_date = today - dt.timedelta(days=2)
        db.session.commit()
        assert list(db.session.execute(late_milestones(tenant_id, today))) == [
            (engagement_id, late_id)
        ]
        assert due_on(tenant_id, today + dt.timedelta(days=2)) == [
            (engagement_id, due_id, "Slides")
        ]
        engagement = db.session.get(Milestone, late_id)
        assert milestones.milestone_state(engagement, today) == "late"
    page = launch_page(world["student"], engagement_id).get_data(as_text=True)
    assert 'data-state="late"' in page and "Late" in page and 'data-state="due"' in page


def test_another_students_milestones_are_out_of_reach(app, world):
    engagement_id = engaged(app, world)
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    agreed_milestone(app, world, engagement_id, "Secret plan", due)
    other = world["other"]
    resp = other.client.get(f"/work/engagements/{engagement_id}?lid={other.lid}")
    assert resp.status_code in (403, 404)
    assert "Secret plan" not in resp.get_data(as_text=True)
    resp = other.client.post(
        f"/work/engagements/{engagement_id}?lid={other.lid}",
        data={
            "form": "milestones.propose",
            "lid": other.lid,
            "title": "Mine",
            "due_date": due.isoformat(),
        },
    )
    assert resp.status_code in (400, 403, 404)
    assert len(changes(app, engagement_id)) == 1


def test_a_workspace_link_reaches_only_its_own_engagement(app, world, seed_listing):
    first = engaged(app, world)
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    agreed_milestone(app, world, first, "First project milestone", due)
    supervisor = Supervisor(app, first)
    change = changes(app, first)[0]
    # a change id of this engagement posted through another engagement's link is not found
    listing = seed_listing(world["school"].tenant_id)
    world2 = dict(world, student=world["other"], listing=listing)
    second = engaged(app, world2)
    other_link = Supervisor(app, second)
    resp = other_link.post("milestones.answer", change=str(change.id), answer="close")
    assert resp.status_code == 422 and "not part of this engagement" in resp.get_data(as_text=True)
    assert "First project milestone" not in other_link.get().get_data(as_text=True)
    assert "First project milestone" in supervisor.get().get_data(as_text=True)


def test_another_course_cannot_read_or_change_the_milestones(app, world):
    engagement_id = engaged(app, world)
    due = tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=5)
    agreed_milestone(app, world, engagement_id, "Course one plan", due)
    own = world["faculty"]
    assert "Course one plan" in launch_page(own, engagement_id).get_data(as_text=True)
    elsewhere = world["school"].person("faculty", course="course-2")
    resp = launch_page(elsewhere, engagement_id)
    assert resp.status_code in (403, 404)
    assert "Course one plan" not in resp.get_data(as_text=True)
    assert len(changes(app, engagement_id)) == 1
