"""A Canvas course whose outcomes were read through the pages, a student with an engagement in
it, and the credit column: what the write-back tests start from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from credit.models import CreditPolicy
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import Registration
from lti_tool.registration.services.tenants import find_registration
from tests.accreditation.frameworks.test_lms import (
    CANVAS,
    authorise,
    canvas_mock,
    configure,
    faculty,
)
from tests.connectors.conftest import fixture
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept

__all__ = ["canvas_mock"]

LINE_ITEM = f"{CANVAS}/api/lti/courses/101/line_items/31"
RUBRICS = f"{CANVAS}/api/v1/courses/101/rubrics"
ASSESSMENTS = f"{CANVAS}/api/v1/courses/101/rubric_associations/9031/rubric_assessments"
ASSIGNMENTS = f"{CANVAS}/api/v1/courses/101/assignments"


@dataclass
class Course:
    app: Any
    platform: Any
    client: Any
    lid: str
    engagement_id: int
    registration_id: int

    def rate(self, levels: dict[str, str], **extra: str):
        """Post the faculty rubric: ``levels`` by outcome name ("3", "na")."""
        page = self.client.get(f"/evidence/ratings/{self.engagement_id}?lid={self.lid}")
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        html = page.get_data(as_text=True)
        data = {"lid": self.lid, "csrf_token": csrf_token(page), **extra}
        for name, item_id in re.findall(
            r"<legend>([^<]+?)(?: <span[^>]*>[^<]*</span>)?</legend>[\s\S]*?name=\"level-(\d+)\"",
            html,
        ):
            data[f"level-{item_id}"] = levels.get(name.strip(), "na")
        return self.client.post(f"/evidence/ratings/{self.engagement_id}", data=data)


def canvas_rest_mocks(requests_mock, platform) -> None:
    requests_mock.post(
        f"{platform.issuer}/token", json={"access_token": "ags-token", "expires_in": 3600}
    )
    requests_mock.get(LINE_ITEM, json=fixture("canvas", "line_item.json"))
    requests_mock.get(ASSIGNMENTS, json=fixture("canvas", "assignments_search.json"))
    requests_mock.get(RUBRICS, json=[])  # no rubric of ours yet
    requests_mock.post(RUBRICS, json=fixture("canvas", "rubric_create.json"))


@pytest.fixture
def canvas_course(app, driver, platform, canvas_mock, seed_listing) -> Iterator[Course]:
    configure(
        app,
        platform,
        canvas_url=CANVAS,
        canvas_oauth_client_id="10000000000123",
        canvas_oauth_client_secret="dev-key-secret",
    )
    client, lid = faculty(driver, platform)
    authorise(client, lid)
    page = client.get(f"/frameworks/lms?lid={lid}")
    read = client.post(
        "/frameworks/lms/read/canvas", data={"lid": lid, "csrf_token": csrf_token(page)}
    )
    assert read.status_code == 303
    # The student opens the credit item: its AGS claim names the school's Canvas domain, which
    # the registration learns (service URLs are called only on hosts it knows).
    ags_claim = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
        "lineitems": f"{CANVAS}/api/lti/courses/101/line_items",
        "lineitem": LINE_ITEM,
    }
    student = driver(platform).launch(
        sub="student-77",
        role="student",
        custom={"canvas_user_id": "555"},
        extra={"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags_claim},
        follow=False,
    )
    listing_id = seed_listing(platform.tenant_id, competencies=["Teamwork"])
    from lti_tool.auth import load_launch

    with app.app_context():
        engagement = accept(load_launch(student.lid), listing_id)
        reg = find_registration(platform.issuer, platform.client_id)
        db.session.add(
            CreditPolicy(
                tenant_id=platform.tenant_id,
                course_id=engagement.course_id,
                lineitem_url=LINE_ITEM,
            )
        )
        db.session.commit()
        engagement_id, reg_id = engagement.id, reg.id
        assert db.session.get(Engagement, engagement_id).course_id is not None
    canvas_rest_mocks(canvas_mock, platform)
    yield Course(app, platform, client, lid, engagement_id, reg_id)
    with app.app_context():  # the next test's institution learns the same Canvas domain
        reg = db.session.get(Registration, reg_id)
        reg.service_hosts = []
        db.session.commit()


def messages(app, tenant_id: int, kind: str) -> list[Any]:
    from lti_tool.jobs import OutboxMessage

    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)
