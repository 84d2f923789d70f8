"""Withdrawing an application asks first, and can be undone while the listing still takes
applications (nothing depends on the withdrawal then). Through the pages, real launches."""

from __future__ import annotations

import html

from lti_tool.extensions import db
from tests.helpers import csrf_token

from .helpers import submit_application, the_application


def _status(app, student, listing_id: int) -> str:
    with app.app_context():
        return the_application(app, student.sub, listing_id).status


def test_withdrawing_asks_first_and_can_be_undone(app, world):
    student, listing = world["student"], world["listing"]
    assert submit_application(student, listing).status_code == 303
    application_id = the_application(app, student.sub, listing).id
    mine = student.client.get(f"/work/applications?lid={student.lid}").get_data(as_text=True)
    assert f"/work/applications/{application_id}/withdraw?lid=" in mine  # a link, not a POST
    ask = student.client.get(f"/work/applications/{application_id}/withdraw?lid={student.lid}")
    assert ask.status_code == 200
    text = html.unescape(ask.get_data(as_text=True))
    assert "Withdraw your application to" in text and "Keep it" in text
    assert _status(app, student, listing) == "submitted"  # asking changed nothing

    resp = student.client.post(
        f"/work/applications/{application_id}/withdraw",
        data={"lid": student.lid, "csrf_token": csrf_token(ask)},
    )
    assert resp.status_code == 303
    assert _status(app, student, listing) == "withdrawn"
    mine = student.client.get(f"/work/applications?lid={student.lid}")
    assert f"/work/applications/{application_id}/restore?lid=" in mine.get_data(as_text=True)
    undo = student.client.post(
        f"/work/applications/{application_id}/restore",
        data={"lid": student.lid, "csrf_token": csrf_token(mine)},
    )
    assert undo.status_code == 303
    assert _status(app, student, listing) == "submitted"


def test_no_undo_once_the_listing_stops_taking_applications(app, world):
    from internships.models import Listing

    student, other, listing = world["student"], world["other"], world["listing"]
    submit_application(student, listing)
    application_id = the_application(app, student.sub, listing).id
    # another student can neither ask nor withdraw it
    assert (
        other.client.get(
            f"/work/applications/{application_id}/withdraw?lid={other.lid}"
        ).status_code
        == 404
    )
    ask = student.client.get(f"/work/applications/{application_id}/withdraw?lid={student.lid}")
    student.client.post(
        f"/work/applications/{application_id}/withdraw",
        data={"lid": student.lid, "csrf_token": csrf_token(ask)},
    )
    with app.app_context():
        db.session.get(Listing, listing).status = "closed"
        db.session.commit()
    mine = student.client.get(f"/work/applications?lid={student.lid}")
    assert f"/work/applications/{application_id}/restore?lid=" not in mine.get_data(as_text=True)
    refused = student.client.post(
        f"/work/applications/{application_id}/restore",
        data={"lid": student.lid, "csrf_token": csrf_token(ask)},  # a form of the launch
        follow_redirects=True,
    )
    assert "can no longer be taken back" in refused.get_data(as_text=True)
    assert _status(app, student, listing) == "withdrawn"
