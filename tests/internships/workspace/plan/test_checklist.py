"""The onboarding checklist through the pages: the student ticks items on the engagement page,
the supervisor on their workspace page, who and when are recorded; advisors edit the default
and a listing's template; a listing's own template is the one its engagements start with; hours
logged before the kick-off call are flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from internships.workspace.plan.models import ChecklistItem
from internships.workspace.plan.services import checklists
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.tenants import get_tenant
from tests.helpers import csrf_token, reason
from tests.internships.work.helpers import engaged

from .helpers import Supervisor, launch_page, launch_post


def _items(app, engagement_id: int) -> list[ChecklistItem]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(ChecklistItem)
                .where(ChecklistItem.engagement_id == engagement_id)
                .order_by(ChecklistItem.position)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_the_student_and_the_supervisor_tick_items(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "Onboarding checklist" in page and "Kick-off call held" in page
    assert _items(app, engagement_id) == []  # showing the page writes nothing

    resp = launch_post(student, engagement_id, "checklist.tick", position="1", done="1")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    items = _items(app, engagement_id)
    assert [i.label for i in items][:2] == ["Kick-off call held", "Access to tools granted"]
    assert items[1].done_at is not None and items[1].done_role == "student"
    assert items[0].done_at is None

    supervisor = Supervisor(app, engagement_id)
    assert "Kick-off call held" in supervisor.get().get_data(as_text=True)
    resp = supervisor.post("checklist.tick", position="0", done="1")
    assert resp.status_code == 303
    follow = supervisor.client.get(resp.headers["Location"])
    assert "“Kick-off call held” is ticked." in follow.get_data(as_text=True)
    items = _items(app, engagement_id)
    assert items[0].done_role == "supervisor" and items[0].done_by.startswith("supervisor link")

    # the student unticks what they ticked: who and when are cleared
    resp = launch_post(student, engagement_id, "checklist.tick", position="1", done="0")
    assert resp.status_code == 303
    assert _items(app, engagement_id)[1].done_at is None
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "ticked by the supervisor" in page


def test_faculty_and_advisors_see_the_checklist_but_do_not_tick(app, world):
    engagement_id = engaged(app, world)
    advisor = world["advisor"]
    page = launch_page(advisor, engagement_id).get_data(as_text=True)
    assert "Kick-off call held" in page and 'value="checklist.tick"' not in page
    resp = launch_post(advisor, engagement_id, "checklist.tick", position="0", done="1")
    assert resp.status_code == 403 and reason(resp) == "role"
    assert _items(app, engagement_id) == []


def test_a_tick_without_its_csrf_token_is_refused(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    resp = student.client.post(
        f"/work/engagements/{engagement_id}?lid={student.lid}",
        data={"form": "checklist.tick", "position": "0", "done": "1", "lid": student.lid},
    )
    assert resp.status_code == 400
    assert _items(app, engagement_id) == []


def test_an_unknown_item_is_refused_and_nothing_is_written(app, world):
    engagement_id = engaged(app, world)
    resp = launch_post(world["student"], engagement_id, "checklist.tick", position="99", done="1")
    assert resp.status_code == 422
    assert "That checklist item does not exist." in resp.get_data(as_text=True)
    assert _items(app, engagement_id) == []


def test_the_advisor_edits_the_default_and_a_listing_template(app, world):
    advisor = world["advisor"]
    page = advisor.client.get(f"/workspace/plan/checklist?lid={advisor.lid}")
    assert page.status_code == 200 and "Kick-off call held" in page.get_data(as_text=True)
    resp = advisor.client.post(
        f"/workspace/plan/checklist?lid={advisor.lid}",
        data={
            "form": "save",
            "csrf_token": csrf_token(page),
            "lid": advisor.lid,
            "items": "Kick-off video call\nLaptop ready\n\n",
            "kickoff_first": "y",
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    listing_id = world["listing"]
    listings = advisor.client.get(f"/workspace/plan/listings?lid={advisor.lid}")
    assert f"/workspace/plan/listings/{listing_id}/checklist" in listings.get_data(as_text=True)
    url = f"/workspace/plan/listings/{listing_id}/checklist?lid={advisor.lid}"
    page = advisor.client.get(url)
    assert "Kick-off video call" in page.get_data(as_text=True)  # the default, until adapted
    resp = advisor.client.post(
        url,
        data={
            "form": "save",
            "csrf_token": csrf_token(page),
            "lid": advisor.lid,
            "items": "Site visit\nBadge issued",
            "kickoff_first": "y",
        },
    )
    assert resp.status_code == 303
    engagement_id = engaged(app, world)
    text = launch_page(world["student"], engagement_id).get_data(as_text=True)
    assert "Site visit" in text and "Kick-off video call" not in text
    launch_post(world["student"], engagement_id, "checklist.tick", position="0", done="1")
    items = _items(app, engagement_id)
    assert [(i.label, i.kickoff) for i in items] == [("Site visit", True), ("Badge issued", False)]


def test_an_empty_or_overlong_template_is_refused_and_nothing_saved(app, world):
    advisor = world["advisor"]
    url = f"/workspace/plan/checklist?lid={advisor.lid}"
    page = advisor.client.get(url)
    for items, message in (
        ("  \n \n", "Enter at least one item"),
        ("x" * 201, "Keep each item to 200 characters or fewer."),
        ("Same\nsame", "Each item may appear only once."),
    ):
        resp = advisor.client.post(
            url,
            data={
                "form": "save",
                "csrf_token": csrf_token(page),
                "lid": advisor.lid,
                "items": items,
            },
        )
        assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    with app.app_context():
        assert checklists.tenant_template(world["school"].tenant_id) is None


def test_students_cannot_edit_templates(app, world):
    student = world["student"]
    resp = student.client.get(f"/workspace/plan/checklist?lid={student.lid}")
    assert resp.status_code == 403


def test_set_listing_checklist_is_scoped_to_the_tenant(app, world):
    """The service the employer's own page calls: a listing of another tenant is not found."""
    with app.app_context():
        template = checklists.set_listing_checklist(
            Actor(world["school"].tenant_id, "employer page"), world["listing"], ["Hello"]
        )
        assert template.items == [{"label": "Hello", "kickoff": True}]
        db.session.rollback()
        other_tenant = Actor(world["school"].tenant_id + 10_000, "someone else")
        with pytest.raises(NotFoundError) as refused:
            checklists.set_listing_checklist(other_tenant, world["listing"], ["Hello"])
        assert refused.value.reason == "no_listing"


def _tenant_today(app, tenant_id: int) -> dt.date:
    with app.app_context():
        return today_in(get_tenant(tenant_id).time_zone)


def test_hours_logged_before_the_kickoff_call_are_flagged(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    today = _tenant_today(app, world["school"].tenant_id)
    for day in (6, 5):
        resp = launch_post(
            student,
            engagement_id,
            "hours",
            work_date=(today - dt.timedelta(days=day)).isoformat(),
            hours="2",
            description="Read the project brief and set up tools",
        )
        assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "2 entries were logged before the kick-off call." in page
    supervisor = Supervisor(app, engagement_id)
    supervisor.post("checklist.tick", position="0", done="1")
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "2 entries were logged before the kick-off call." in page  # days before today
    # an entry on the kick-off day is not flagged
    launch_post(
        student,
        engagement_id,
        "hours",
        work_date=today.isoformat(),
        hours="1",
        description="Kick-off call and first notes",
    )
    page = launch_page(student, engagement_id).get_data(as_text=True)
    assert "2 entries were logged before the kick-off call." in page


def test_the_hour_reviews_flag_work_before_the_kickoff_once_the_checklist_is_in_use(app, world):
    """The advisor's hours table (and the supervisor's hours page) mark an entry worked before
    the kick-off call with "Check" once the checklist is in use; an engagement that never
    ticked an item is not flagged on every entry."""
    engagement_id = engaged(app, world)
    student, advisor = world["student"], world["advisor"]
    today = _tenant_today(app, world["school"].tenant_id)
    resp = launch_post(
        student,
        engagement_id,
        "hours",
        work_date=(today - dt.timedelta(days=3)).isoformat(),
        hours="2",
        description="Read the project brief",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    flag = "Worked before the kick-off call was ticked off."
    assert flag not in launch_page(advisor, engagement_id).get_data(as_text=True)
    Supervisor(app, engagement_id).post("checklist.tick", position="0", done="1")
    assert flag in launch_page(advisor, engagement_id).get_data(as_text=True)


def test_before_the_first_tick_the_checklist_is_its_template_as_plain_rows(app, world):
    """What a page shows before the first tick: the template's items as plain rows (no unsaved
    ``ChecklistItem`` for the session), none ticked; after a tick, the stored rows."""
    from internships.work.models import Engagement

    engagement_id = engaged(app, world)
    with app.app_context():
        items = checklists.checklist_of(db.session.get(Engagement, engagement_id))
        assert [type(item) for item in items] == [checklists.TemplateItem] * len(items)
        assert items[0].label == "Kick-off call held" and items[0].kickoff
        assert {(i.done_at, i.done_role) for i in items} == {(None, None)}
        assert [i.position for i in items] == list(range(len(items)))
        assert not db.session.new
    resp = launch_post(world["student"], engagement_id, "checklist.tick", position="0", done="1")
    assert resp.status_code == 303
    with app.app_context():
        items = checklists.checklist_of(db.session.get(Engagement, engagement_id))
        assert all(isinstance(item, ChecklistItem) for item in items)
        assert items[0].done_role == "student"
