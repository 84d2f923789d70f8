"""The credentials pages' world: a school with two students, an advisor, an instructor and an
open listing; ``finished(app, world)`` takes the student's engagement through the real flow
(applied and accepted through the pages, a deliverable handed in, the supervisor's evaluation,
completed by the advisor) and runs issuance for the school, which issues its credential."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accreditation.credentials.models import Credential
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.internships.work.conftest import COMPETENCIES, make_world
from tests.internships.work.helpers import engaged

COMMENTS = "A careful analyst who presented the survey's findings clearly to our whole team."
REPORT_URL = "https://example.org/survey-report"


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, COMPETENCIES)


def issue(app: Any, tenant_id: int, base_url: str = "http://localhost") -> None:
    """What the tick does for one school: issue every credential that is due (and commit).
    The issuer's DID names the tool's host: ``base_url``, the host the pages are read on."""
    from accreditation.credentials.issuance.sync import sync_tenant

    with app.test_request_context("/", base_url=base_url):
        sync_tenant(Actor(tenant_id, "Career Credit (automatic)"))
        db.session.commit()


def evaluate(app: Any, world: dict[str, Any], engagement_id: int, comments: str = COMMENTS) -> None:
    """A deliverable (a link) handed in, the engagement submitted by the student, then the
    supervisor's evaluation."""
    from internships.work.services.engagements import change_status
    from internships.work.services.evaluations import submit_evaluation
    from internships.work.services.handins import add_deliverable

    with app.app_context():
        student = world["student"].ctx()
        add_deliverable(student, engagement_id, "Survey report", url=REPORT_URL)
        change_status(student, engagement_id, "submit")
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        ratings = dict.fromkeys(engagement.competencies, (3, "Steady and clear."))
        submit_evaluation(
            Actor(engagement.tenant_id, "Sam Supervisor"),
            engagement_id,
            "Sam Supervisor",
            ratings,
            comments,
        )
        db.session.commit()


def complete(app: Any, world: dict[str, Any], engagement_id: int) -> None:
    from internships.work.services.engagements import change_status

    with app.app_context():
        change_status(world["advisor"].ctx(), engagement_id, "complete")
        db.session.commit()


def finished(
    app: Any, world: dict[str, Any], base_url: str = "http://localhost"
) -> tuple[int, int]:
    """The student's engagement finished and its credential issued: (engagement id,
    credential id)."""
    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)
    complete(app, world, engagement_id)
    issue(app, world["school"].tenant_id, base_url)
    return engagement_id, valid_credential(app, engagement_id).id


def valid_credential(app: Any, engagement_id: int) -> Credential:
    with app.app_context():
        credential = db.session.scalar(
            select(Credential).where(
                Credential.engagement_id == engagement_id, Credential.revoked_at.is_(None)
            )
        )
        assert credential is not None, "no credential was issued"
        db.session.expunge(credential)
        return credential
