"""The Canvas OAuth ``state`` is a random single-use value mapped server-side to the launch: it
never carries the launch id, cannot be used twice, and a read-only TA cannot authorise or
revoke the connection."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.helpers import csrf_token, reason

from .test_lms import CANVAS, authorise, canvas_mock, configure, faculty  # noqa: F401


def _configure(app, platform) -> None:
    configure(
        app,
        platform,
        canvas_url=CANVAS,
        canvas_oauth_client_id="10000000000123",
        canvas_oauth_client_secret="dev-key-secret",
    )


def _start(client, lid) -> str:
    page = client.get(f"/frameworks/lms?lid={lid}")
    resp = client.post(
        "/frameworks/lms/canvas/authorize", data={"lid": lid, "csrf_token": csrf_token(page)}
    )
    assert resp.status_code == 303
    return parse_qs(urlsplit(resp.headers["Location"]).query)["state"][0]


def test_state_names_no_launch_and_is_single_use(app, driver, platform, canvas_mock):  # noqa: F811
    _configure(app, platform)
    client, lid = faculty(driver, platform)
    state = authorise(client, lid)  # control: the state works once
    assert lid not in state
    import base64

    padded = state + "=" * (-len(state) % 4)
    assert lid.encode() not in base64.urlsafe_b64decode(padded.encode())
    again = client.get(
        "/frameworks/lms/canvas/callback", query_string={"code": "code-2", "state": state}
    )
    assert again.status_code == 403
    assert reason(again) == "oauth_state"


def test_a_teaching_assistant_cannot_authorise_or_revoke(app, driver, platform, canvas_mock):  # noqa: F811
    _configure(app, platform)
    client, lid = faculty(driver, platform)
    assert _start(client, lid)  # control: the instructor may
    ta = driver(platform)
    ta_lid = ta.launch(sub="ta-1", role="ta", follow=False, custom={"canvas_course_id": "101"}).lid
    page = ta.client.get(f"/frameworks/lms?lid={ta_lid}")
    token = csrf_token(page)
    resp = ta.client.post(
        "/frameworks/lms/canvas/authorize", data={"lid": ta_lid, "csrf_token": token}
    )
    assert resp.status_code == 403
    assert reason(resp) == "read_only"
    resp = ta.client.post(
        "/frameworks/lms/canvas/revoke", data={"lid": ta_lid, "csrf_token": token}
    )
    assert resp.status_code == 403
    assert reason(resp) == "read_only"
