"""Offers are the student's rows (``student_id``): the export holds them and erasure deletes
them, with the rest of the student's engagement."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from internships.employers.portal.models import EngagementOffer
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import User
from lti_tool.privacy.subject.erasure import erase
from lti_tool.privacy.subject.export import export_zip
from tests.internships.work.helpers import engaged, public_client

from .helpers import page_post, workspace_path
from .test_offers import _evaluate


def _offered(app, world) -> int:
    engagement_id = engaged(app, world)
    path = workspace_path(app, world["school"].tenant_id, engagement_id)
    _evaluate(app, engagement_id)
    resp = page_post(
        public_client(app),
        path,
        form="offer.answer",
        offer__would_hire="yes",
        offer__kind="full_time",
        offer__details="A role in the analytics team.",
    )
    assert resp.status_code == 303
    return engagement_id


def test_the_export_holds_the_offer_and_erasure_deletes_it(app, world):
    engagement_id = _offered(app, world)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        user = db.session.get(User, engagement.student_id)
        actor = Actor(engagement.tenant_id, "operator (test)")
        archive, counts = export_zip(actor, user)
        assert counts.get("engagement_offer") == 1
        data = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("data.json"))
        assert "A role in the analytics team." in json.dumps(data)
        erase(actor, user)
        db.session.commit()
        left = db.session.scalar(
            select(EngagementOffer.id).where(
                EngagementOffer.tenant_id == actor.tenant,
                EngagementOffer.engagement_id == engagement_id,
            )
        )
        assert left is None
