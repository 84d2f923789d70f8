"""The student's home reads the student's work once (issue 16): the work, workload, messages
and plan panels and the "For you" picks share one statement of the engagements with their
unread messages, the application counts, the course's caps and the calendar address (before:
the engagements four times, the caps twice, seven statements in all), and the panels still
show each student only their own work under their own course's caps."""

from __future__ import annotations

from typing import Any

from flask import g

from internships.profile.recommend import recommend
from internships.profile.services import ProfileInput, save_profile
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.helpers import counted
from tests.internships.work.conftest import COMPETENCIES, make_world
from tests.internships.work.helpers import engaged, public_client
from tests.internships.work.test_pins_caps_cpt import post_caps
from tests.internships.workspace.messages.helpers import supervisor_path, supervisor_post

WORK, WORKLOAD = "work/_student_panel.html", "workspace/rhythm/_workload.html"
MESSAGES, PLAN = "workspace/messages/_student_panel.html", "workspace/plan/_student_home_panel.html"


def _for_values(app: Any) -> int:
    """The statement that plans the "For you" candidates for their values: PostgreSQL only
    (``lti_tool.db_helpers.plan_for_values``)."""
    with app.app_context():
        return 1 if db.engine.dialect.name == "postgresql" else 0


def _panels(app: Any, person: Any) -> tuple[dict[str, Any], list[str]]:
    """The work, workload, messages and plan panels' data for the person's launch, and their
    statements."""
    providers = [
        (template, provider)
        for role, template, provider in app.extensions["home_panels"]
        if role == "student" and template in (WORK, WORKLOAD, MESSAGES, PLAN)
    ]
    with app.test_request_context():
        ctx = load_launch(person.lid)
        assert ctx is not None
        g.launch = ctx
        with counted() as seen:
            data = {template: provider(ctx) for template, provider in providers}
    return data, seen


def _reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.lstrip().startswith(f"SELECT {table}.")]


def test_an_engaged_student_s_four_panels_are_two_statements(app, school, seed_listing):
    world = make_world(school, seed_listing, COMPETENCIES)
    engagement_id = engaged(app, world)
    path = supervisor_path(app, engagement_id)
    for text in ("First note.", "Second note."):
        supervisor_post(public_client(app), path, text)
    data, seen = _panels(app, world["student"])
    # the work (engagements, applications, caps in one statement) and the notifications
    assert len(seen) == 2, seen
    assert not _reading(seen, "course_workload_cap") and not _reading(seen, "engagement")
    work, workload = data[WORK], data[WORKLOAD]["workload"]
    assert [f.id for f in work["engagements"]] == [engagement_id]
    assert work["applications"] == 1 and work["picks"] == []
    assert workload.current == 1 and [p.engagement_id for p in workload.planned] == [engagement_id]
    others, _ = _panels(app, world["other"])  # the statement is shared; the launch decides
    assert others[WORK]["engagements"] == [] and others[WORK]["applications"] == 0
    assert others[WORKLOAD]["workload"].current == 0


def test_the_for_you_picks_reuse_the_home_s_load_and_the_course_s_caps(app, school, seed_listing):
    world = make_world(school, seed_listing, COMPETENCIES)
    assert post_caps(world["faculty"], max_concurrent="", max_weekly_hours="7").status_code == 303
    data, seen = _panels(app, world["student"])
    # work (with the profile, and no unread notification: none read); the picks: candidates,
    # the picks (not the competencies shown: none of the student's engagements has been
    # evaluated, so none has been rated); on PostgreSQL the candidates planned for their
    # values first
    assert len(seen) == 3 + _for_values(app), seen
    assert not _reading(seen, "notification")
    assert not _reading(seen, "course_workload_cap") and "competency_rating" not in str(seen)
    assert not _reading(seen, "student_profile")
    picks = data[WORK]["picks"]
    assert [p.listing.id for p in picks] == [world["listing"]]
    with app.app_context():  # the same picks, reasons and scores as with the ratings read
        alone = recommend(world["student"].ctx(), limit=3)
    assert [(p.listing.id, p.score, p.reasons) for p in picks] == [
        (p.listing.id, p.score, p.reasons) for p in alone
    ]
    assert data[WORKLOAD]["workload"].max_weekly_hours == 7  # the course's own cap
    assert data[WORKLOAD]["workload"].current == 0


def test_for_you_on_its_own_reads_the_load_and_the_course_s_caps_together(
    app, school, seed_listing
):
    world = make_world(school, seed_listing, COMPETENCIES)
    assert post_caps(world["faculty"], max_concurrent="", max_weekly_hours="7").status_code == 303
    with app.app_context():
        ctx = world["student"].ctx()
        with counted() as seen:
            picks = recommend(ctx)
    # the profile; the load with the course's caps; candidates, competencies shown, the picks
    assert len(seen) == 5 + _for_values(app), seen
    assert not _reading(seen, "course_workload_cap")
    assert [p.listing.id for p in picks] == [world["listing"]]


def test_the_for_you_picks_read_the_saved_profile_with_the_work(app, school, seed_listing):
    world = make_world(school, seed_listing, COMPETENCIES)
    tenant_id = school.tenant_id
    wanted = seed_listing(tenant_id, title="Survey design", skills=["data-analysis"])
    seed_listing(tenant_id, title="Logo refresh", estimated_hours=400)  # over the availability
    mine = ProfileInput(
        program="Business",
        skills=["data-analysis"],
        interests="survey design for nonprofits",
        weekly_availability_hours=10,
    )
    theirs = ProfileInput(skills=["data-cleaning"], interests="logo refresh branding")
    with app.app_context():
        save_profile(world["student"].ctx(), mine)
        save_profile(world["other"].ctx(), theirs)
        db.session.commit()
    data, seen = _panels(app, world["student"])
    assert len(seen) == 3 + _for_values(app) and not _reading(seen, "student_profile"), seen
    picks = data[WORK]["picks"]
    assert picks[0].listing.id == wanted
    with app.app_context():  # the same picks, scores and reasons as with the profile read alone
        alone = recommend(world["student"].ctx(), limit=3)
    assert [(p.listing.id, p.score, p.reasons) for p in picks] == [
        (p.listing.id, p.score, p.reasons) for p in alone
    ]
    others, _ = _panels(app, world["other"])  # the other student's own profile
    with app.app_context():
        alone = recommend(world["other"].ctx(), limit=3)
    assert [(p.listing.id, p.score, p.reasons) for p in others[WORK]["picks"]] == [
        (p.listing.id, p.score, p.reasons) for p in alone
    ]


def test_the_notifications_are_read_only_when_one_is_unread(app, school, seed_listing):
    from lti_tool.notify.notifications import mark_notifications_read, notify

    world = make_world(school, seed_listing, COMPETENCIES)
    data, seen = _panels(app, world["student"])
    assert data[WORK]["notifications"] == [] and not _reading(seen, "notification")
    with app.app_context():
        student, other = world["student"].ctx(), world["other"].ctx()
        notify(student.tenant_id, student.user_id, "hours_confirmed", "Your hours were confirmed.")
        notify(other.tenant_id, other.user_id, "hours_queried", "Not yours.")
        db.session.commit()
    data, seen = _panels(app, world["student"])
    assert [n.message for n in data[WORK]["notifications"]] == ["Your hours were confirmed."]
    assert len(_reading(seen, "notification")) == 1
    with app.app_context():
        mark_notifications_read(world["student"].ctx())
        db.session.commit()
    data, seen = _panels(app, world["student"])  # read: none shown, none read
    assert data[WORK]["notifications"] == [] and not _reading(seen, "notification")
    others, _ = _panels(app, world["other"])  # the other student's own
    assert [n.message for n in others[WORK]["notifications"]] == ["Not yours."]
