"""The portfolio: the student chooses projects, deliverables, credentials and (where the
supervisor agreed) the recommendation; publishes it at a random link; revoking makes the old
link 404 and a new link can be made. The supervisor agrees (or not) on their workspace page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accreditation.credentials.pages.models import Portfolio
from accreditation.credentials.pages.portfolio import (
    PortfolioInvalidError,
    ProjectChoice,
    save_portfolio,
)
from internships.supervisor.links import issue_link
from internships.work.models import Deliverable
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token, reason
from tests.internships.work.helpers import engaged, public_client

from .conftest import REPORT_URL, complete, evaluate, finished, issue

PATH = "/credentials/portfolio"
RECOMMENDATION = "presented the survey"  # words of the evaluation's comments (conftest)


def _deliverable_id(app, engagement_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(
            select(Deliverable.id).where(Deliverable.engagement_id == engagement_id)
        )
        assert found is not None
        return int(found)


def _post(person, **data):
    token = csrf_token(person.client.get(f"{PATH}?lid={person.lid}"))
    return person.client.post(PATH, data={"lid": person.lid, "csrf_token": token, **data})


def _save(person, engagement_id: int, deliverable_id: int, **extra):
    data = {
        "form": "save",
        "headline": "Data analyst in training",
        "introduction": "Projects I am proud of.",
        f"project-{engagement_id}": "y",
        f"deliverable-{engagement_id}": str(deliverable_id),
        f"credential-{engagement_id}": "y",
        f"recommendation-{engagement_id}": "y",
        **extra,
    }
    return _post(person, **data)


def _public_path(app, student) -> str:
    with app.app_context():
        token = db.session.scalar(
            select(Portfolio.token).where(Portfolio.student_id == student.user_id)
        )
    assert token
    return f"/credentials/portfolio/{token}"


def _workspace_path(app, world, engagement_id: int) -> str:
    with app.app_context():
        token = issue_link(
            Actor(world["school"].tenant_id, "Ada Advisor"), "workspace", engagement_id, ""
        )
        db.session.commit()
    return f"/workspace/{token}"


def _consent(browser, path: str, answer: str | None):
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    data = {"form": "recommendation.consent", "csrf_token": csrf_token(page)}
    if answer is not None:
        data["agreed"] = answer
    return browser.post(path, data=data)


def test_publish_show_revoke_and_publish_again(app, world):
    engagement_id, _ = finished(app, world)
    student = world["student"]
    deliverable_id = _deliverable_id(app, engagement_id)
    saved = _save(student, engagement_id, deliverable_id)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    assert _post(student, form="publish").status_code == 303
    first = _public_path(app, student)

    browser = public_client(app)
    page = browser.get(first)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Data analyst in training" in text
    assert "Market research sprint" in text or "Survey report" in text
    assert REPORT_URL in text  # the deliverable chosen
    assert "Credential" in text
    assert RECOMMENDATION not in text  # the supervisor has not agreed

    assert _post(student, form="unpublish").status_code == 303
    gone = browser.get(first)
    assert gone.status_code == 404 and reason(gone) == "not_published"
    assert _post(student, form="publish").status_code == 303
    second = _public_path(app, student)
    assert second != first
    assert browser.get(second).status_code == 200
    assert browser.get(first).status_code == 404


def test_a_project_left_out_shows_nothing_of_it(app, world):
    engagement_id, _ = finished(app, world)
    student = world["student"]
    deliverable_id = _deliverable_id(app, engagement_id)
    _save(student, engagement_id, deliverable_id, **{f"project-{engagement_id}": ""})
    _post(student, form="publish")
    text = public_client(app).get(_public_path(app, student)).get_data(as_text=True)
    assert REPORT_URL not in text
    assert "No projects shown yet" in text


def test_the_student_cannot_show_another_students_work(app, world):
    engagement_id, _ = finished(app, world)
    deliverable_id = _deliverable_id(app, engagement_id)
    other = world["other"]
    # the page offers only their own projects: a posted foreign project is not theirs to show
    _save(other, engagement_id, deliverable_id)
    _post(other, form="publish")
    text = public_client(app).get(_public_path(app, other)).get_data(as_text=True)
    assert REPORT_URL not in text
    with app.app_context(), pytest.raises(PortfolioInvalidError):
        save_portfolio(other.ctx(), "", "", [ProjectChoice(engagement_id, (deliverable_id,))])


def test_a_headline_too_long_is_refused_and_nothing_is_kept(app, world):
    engagement_id, _ = finished(app, world)
    student = world["student"]
    resp = _save(student, engagement_id, _deliverable_id(app, engagement_id), headline="x" * 201)
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in resp.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(Portfolio.id).where(Portfolio.student_id == student.user_id))
            is None
        )


def test_the_supervisor_agrees_on_their_workspace_page_and_the_recommendation_shows(app, world):
    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)  # submitted and evaluated: the link still opens
    path = _workspace_path(app, world, engagement_id)
    browser = public_client(app)
    page = browser.get(path).get_data(as_text=True)
    assert "Share my evaluation comments as a recommendation" in page

    refused = _consent(browser, path, None)
    assert refused.status_code == 422 and "Choose yes or no." in refused.get_data(as_text=True)
    agreed = _consent(browser, path, "yes")
    assert agreed.status_code == 303, agreed.get_data(as_text=True)[:500]
    assert "may appear in the student" in browser.get(agreed.headers["Location"]).get_data(
        as_text=True
    )

    student = world["student"]
    own = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "agreed that the comments of their evaluation" in own.get_data(as_text=True)
    with app.app_context():
        from lti_tool.notify.models import Notification

        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == student.user_id)
        ).all()
    assert "recommendation_agreed" in kinds

    complete(app, world, engagement_id)
    issue(app, world["school"].tenant_id)
    _save(student, engagement_id, _deliverable_id(app, engagement_id))
    _post(student, form="publish")
    public = public_client(app).get(_public_path(app, student)).get_data(as_text=True)
    assert RECOMMENDATION in public


def test_the_supervisor_can_take_the_agreement_back(app, world):
    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)
    path = _workspace_path(app, world, engagement_id)
    browser = public_client(app)
    assert _consent(browser, path, "yes").status_code == 303
    assert _consent(browser, path, "no").status_code == 303
    student = world["student"]
    _save(student, engagement_id, _deliverable_id(app, engagement_id))
    _post(student, form="publish")
    public = public_client(app).get(_public_path(app, student)).get_data(as_text=True)
    assert RECOMMENDATION not in public
    own = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "chose to keep their evaluation" in own.get_data(as_text=True)


def test_no_consent_question_before_the_evaluation_and_the_student_cannot_answer(app, world):
    engagement_id = engaged(app, world)
    path = _workspace_path(app, world, engagement_id)
    assert "Share my evaluation comments" not in public_client(app).get(path).get_data(as_text=True)
    evaluate(app, world, engagement_id)
    student = world["student"]
    url = f"/work/engagements/{engagement_id}"
    page = student.client.get(f"{url}?lid={student.lid}")
    resp = student.client.post(
        f"{url}?lid={student.lid}",
        data={"form": "recommendation.consent", "agreed": "yes", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 403 and reason(resp) == "role"


def test_a_link_of_another_engagement_answers_for_its_own_only(
    app, world, make_school, seed_listing
):
    from tests.internships.work.conftest import COMPETENCIES, make_world

    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)
    elsewhere = make_world(make_school(), seed_listing, COMPETENCIES)
    theirs = engaged(app, elsewhere)
    evaluate(app, elsewhere, theirs)
    path = _workspace_path(app, elsewhere, theirs)
    assert _consent(public_client(app), path, "yes").status_code == 303
    student = world["student"]
    own = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "has not said whether" in own.get_data(as_text=True)
    # a link made in one school for another school's engagement opens nothing
    with app.app_context():
        token = issue_link(Actor(world["school"].tenant_id, "Ada"), "workspace", theirs, "")
        db.session.commit()
    foreign = public_client(app).get(f"/workspace/{token}")
    assert foreign.status_code in (404, 410)
    assert "Share my evaluation comments" not in foreign.get_data(as_text=True)


def test_erasing_the_student_takes_the_portfolio_and_its_link(app, world, runner):
    from lti_tool.models import Tenant

    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)
    assert _consent(public_client(app), _workspace_path(app, world, engagement_id), "yes")
    student = world["student"]
    _save(student, engagement_id, _deliverable_id(app, engagement_id))
    _post(student, form="publish")
    path = _public_path(app, student)
    assert public_client(app).get(path).status_code == 200
    with app.app_context():
        tenant = db.session.get(Tenant, world["school"].tenant_id)
        assert tenant is not None
        name = tenant.name
    result = runner.invoke(
        args=["privacy", "erase", "--tenant", name, "--user", student.sub, "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert public_client(app).get(path).status_code == 404
    with app.app_context():
        from accreditation.credentials.pages.models import PortfolioProject, RecommendationConsent

        project = select(PortfolioProject.id).where(PortfolioProject.engagement_id == engagement_id)
        assert db.session.scalar(project) is None
        assert (
            db.session.scalar(
                select(RecommendationConsent.id).where(
                    RecommendationConsent.engagement_id == engagement_id
                )
            )
            is None
        )
