"""The offer panel through HTTP: the supervisor answers "would you hire or offer further work?"
on their workspace page once their evaluation exists and may record an offer; the student
confirms or declines it on the engagement page; faculty and advisors read it."""

from __future__ import annotations

from sqlalchemy import select

from internships.employers.portal.models import EngagementOffer
from internships.work.models import Engagement
from internships.work.services.evaluations import submit_evaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from tests.helpers import csrf_token
from tests.internships.work.helpers import engaged, public_client

from .helpers import page_post, workspace_path


def _evaluate(app, engagement_id: int) -> None:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        ratings = dict.fromkeys(engagement.competencies, (3, ""))
        actor = Actor(engagement.tenant_id, "supervisor (test)")
        submit_evaluation(actor, engagement_id, "Sam Supervisor", ratings, "Great work.")
        db.session.commit()


def _offer(app, engagement_id: int) -> EngagementOffer | None:
    with app.app_context():
        row = db.session.scalar(
            select(EngagementOffer).where(EngagementOffer.engagement_id == engagement_id)
        )
        if row is not None:
            db.session.expunge(row)
        return row


def _student_post(student, engagement_id: int, action: str):
    url = f"/work/engagements/{engagement_id}"
    page = student.client.get(f"{url}?lid={student.lid}")
    return student.client.post(
        f"{url}?lid={student.lid}",
        data={"csrf_token": csrf_token(page), "lid": student.lid, "form": f"offer.{action}"},
    )


def _answered(app, world, **data):
    engagement_id = engaged(app, world)
    path = workspace_path(app, world["school"].tenant_id, engagement_id)
    browser = public_client(app)
    assert "Further work" not in browser.get(path).get_data(as_text=True)  # before evaluating
    _evaluate(app, engagement_id)
    assert "Further work" in browser.get(path).get_data(as_text=True)
    resp = page_post(browser, path, form="offer.answer", **data)
    return engagement_id, path, resp


def test_the_supervisor_records_an_offer_and_the_student_confirms_it(app, world):
    engagement_id, _path, resp = _answered(
        app,
        world,
        offer__would_hire="yes",
        offer__kind="full_time",
        offer__details="Starts in June.",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert "your answer is recorded" in public_client(app).get(resp.headers["Location"]).get_data(
        as_text=True
    )
    row = _offer(app, engagement_id)
    assert row is not None
    assert (row.would_hire, row.kind, row.status) == (True, "full_time", "offered")
    with app.app_context():
        assert db.session.scalar(
            select(Notification.kind).where(
                Notification.user_id == row.student_id, Notification.kind == "offer_received"
            )
        )
    student = world["student"]
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "Confirm the offer" in page.get_data(as_text=True)
    assert _student_post(student, engagement_id, "confirm").status_code == 303
    assert _offer(app, engagement_id).status == "accepted"
    again = _student_post(student, engagement_id, "decline")
    assert again.status_code == 422
    assert "no offer waiting" in again.get_data(as_text=True)
    assert _offer(app, engagement_id).status == "accepted"


def test_the_student_declines_an_offer(app, world):
    engagement_id, _path, resp = _answered(
        app, world, offer__would_hire="yes", offer__kind="internship"
    )
    assert resp.status_code == 303
    assert _student_post(world["student"], engagement_id, "decline").status_code == 303
    assert _offer(app, engagement_id).status == "declined"


def test_an_answer_without_an_offer_may_gain_one_later(app, world):
    engagement_id, path, resp = _answered(app, world, offer__would_hire="yes", offer__kind="")
    assert resp.status_code == 303
    assert _offer(app, engagement_id).status == "no_offer"
    later = page_post(
        public_client(app),
        path,
        form="offer.answer",
        offer__would_hire="yes",
        offer__kind="micro_internship",
    )
    assert later.status_code == 303
    assert _offer(app, engagement_id).kind == "micro_internship"
    twice = page_post(
        public_client(app),
        path,
        form="offer.answer",
        offer__would_hire="yes",
        offer__kind="part_time",
    )
    assert twice.status_code == 422
    assert "recorded already" in twice.get_data(as_text=True)
    assert _offer(app, engagement_id).kind == "micro_internship"


def test_an_offer_with_a_no_is_refused_and_nothing_saved(app, world):
    engagement_id, _path, resp = _answered(
        app, world, offer__would_hire="no", offer__kind="full_time"
    )
    assert resp.status_code == 422
    assert "An offer goes with a yes" in resp.get_data(as_text=True)
    assert _offer(app, engagement_id) is None


def test_faculty_and_advisors_read_the_offer_but_cannot_answer_it(app, world):
    engagement_id, _path, resp = _answered(
        app, world, offer__would_hire="yes", offer__kind="part_time"
    )
    assert resp.status_code == 303
    for who in ("faculty", "advisor"):
        person = world[who]
        page = person.client.get(f"/work/engagements/{engagement_id}?lid={person.lid}")
        text = page.get_data(as_text=True)
        assert "Part-time job" in text and "Confirm the offer" not in text, who
        assert _student_post(person, engagement_id, "confirm").status_code == 403
    assert _offer(app, engagement_id).status == "offered"
    other = world["other"]
    hidden = other.client.get(f"/work/engagements/{engagement_id}?lid={other.lid}")
    assert hidden.status_code in (403, 404)
