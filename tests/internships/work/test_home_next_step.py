"""The student's home leads to the next step (issue 18): through real signed launches, the
"Next step" card names the one thing to do now for each state of the student's work, with one
button to it, and the engagement reads as a timeline of done, current and next steps."""

from __future__ import annotations

import datetime as dt
import html
import re

from internships.work.models import Engagement, EngagementReopening, HourLog, Reflection
from lti_tool.extensions import db

from .helpers import engaged, submit_application


def _home(person) -> str:
    resp = person.client.get(f"/home/student?lid={person.lid}")
    assert resp.status_code == 200
    return html.unescape(resp.get_data(as_text=True))


def _next_step(page: str) -> tuple[str, str]:
    """The next-step card's heading and its button's link."""
    card = page[page.index('aria-labelledby="next-step-heading"') :]
    card = card[: card.index("</section>")]
    title = re.search(r'id="next-step-heading">([^<]+)<', card)
    button = re.search(r'<a class="button[^"]*" id="next-step-action" href="([^"]+)"', card)
    assert title and button, card
    return title.group(1), button.group(1)


def _the_card_comes_first(page: str) -> None:
    main = page[page.index("<h1") :]
    assert main.index("next-step-heading") < main.index("Your micro-internships")


def _change(app, engagement_id: int, **values) -> None:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        for key, value in values.items():
            setattr(engagement, key, value)
        db.session.commit()


def _log(app, engagement_id: int, hours: float, status: str = "pending") -> None:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        db.session.add(
            HourLog(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement.id,
                student_id=engagement.student_id,
                work_date=dt.date.today(),
                minutes=int(hours * 60),
                description="Survey design",
                status=status,
            )
        )
        db.session.commit()


def test_no_application_leads_to_the_board(app, world):
    page = _home(world["student"])
    title, link = _next_step(page)
    assert title == "Find a micro-internship"
    assert link.startswith("/internships/") and f"lid={world['student'].lid}" in link
    _the_card_comes_first(page)
    # the links people rely on stay reachable
    for words in ("Browse micro-internships", "Listings for you", "My applications"):
        assert words in page
    assert "Edit your profile" in page


def test_an_application_waiting_names_whom_we_wait_for(app, world):
    assert submit_application(world["student"], world["listing"]).status_code == 303
    title, link = _next_step(_home(world["student"]))
    assert title == "Waiting for a decision"
    assert link.startswith("/work/applications")


def test_an_agreement_not_acknowledged_comes_next(app, world):
    engagement_id = engaged(app, world, ready=False)
    page = _home(world["student"])
    title, link = _next_step(page)
    assert title == "Acknowledge the learning agreement"
    assert link.startswith(f"/work/engagements/{engagement_id}")
    # the timeline says in words which steps are done and which is now
    assert "Done: </span>Applied" in page
    assert "Now: </span>Learning agreement acknowledged" in page
    assert "Next: </span>In the gradebook" in page


def test_an_active_engagement_asks_for_this_weeks_hours(app, world):
    engagement_id = engaged(app, world)
    _log(app, engagement_id, 2.5)
    page = _home(world["student"])
    title, link = _next_step(page)
    assert title == "Log this week's hours"
    assert link.startswith(f"/work/engagements/{engagement_id}")
    assert "2.5 hours logged this week" in page
    assert "Now: </span>Hours logged" in page


def test_finished_hours_without_a_reflection_ask_for_it(app, world):
    engagement_id = engaged(app, world)
    _change(app, engagement_id, planned_hours=3)
    _log(app, engagement_id, 3)
    title, link = _next_step(_home(world["student"]))
    assert title == "Finish the reflection"
    assert link.startswith(f"/work/engagements/{engagement_id}/reflection")


def test_requested_changes_come_first(app, world):
    engagement_id = engaged(app, world)
    _change(app, engagement_id, planned_hours=3, status="submitted")
    _log(app, engagement_id, 3)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        db.session.add(
            Reflection(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                answers={},
                submitted_at=dt.datetime(2026, 1, 20),
            )
        )
        db.session.add(
            EngagementReopening(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                request_id=1,
                kind="reflection",
            )
        )
        db.session.commit()
        course_id = engagement.course_id
    page = _home(world["student"])
    title, link = _next_step(page)
    assert title == "Answer the requested changes"
    expected = (
        f"/credit/courses/{course_id}/changes"
        if course_id
        else f"/work/engagements/{engagement_id}"
    )
    assert link.startswith(expected), link
    assert "Next: </span>Reflection submitted" in page  # reopened: not done any more


def test_submitted_work_says_whom_we_wait_for(app, world):
    engagement_id = engaged(app, world)
    _change(app, engagement_id, status="submitted")
    _log(app, engagement_id, 1.5)
    page = _home(world["student"])
    title, _ = _next_step(page)
    assert title == "Waiting for your supervisor"
    assert "to confirm 1.5 hours" in page


def test_finished_work_leads_to_the_next_micro_internship(app, world):
    engagement_id = engaged(app, world)
    _change(app, engagement_id, status="completed")
    title, link = _next_step(_home(world["student"]))
    assert title == "Find your next micro-internship"
    assert link.startswith("/internships/")
