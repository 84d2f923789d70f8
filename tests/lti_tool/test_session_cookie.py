"""The session cookie is sent when the session changes, not on every response: the launch sets
it (the launch id, for browsers that keep it), a page that changes nothing sends none — neither
with the cookie (it would extend nothing: the launch id expires on its own clock) nor inside an
iframe that drops it (the CSRF secret is derived from the launch id on every request). Forms
still verify both ways."""

from __future__ import annotations

from tests.helpers import csrf_token


def _session_cookies(resp) -> list[str]:
    return [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("cc_session=")]


def _profile_form(token: str, lid: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": token,
        "program": "Marine Biology",
        "class_year": "Third year",
        "expected_graduation": "2028-05-15",
        "work_authorization": "US citizen/permanent resident",
        "skills": ["sql"],
        "interests": "Survey design",
        "career_goals": "Become a data analyst",
        "weekly_availability_hours": "10",
    }
    if lid:
        data["lid"] = lid
    return data


def test_the_launch_sets_the_cookie_and_an_unchanged_page_sends_none(lti):
    launched = lti.launch(sub="stu-cookie-once", follow=False)
    assert _session_cookies(launched.response)
    page = lti.client.get(f"/home/student?lid={launched.lid}")  # with the cookie
    assert page.status_code == 200
    assert _session_cookies(page) == []


def test_a_page_in_an_iframe_without_the_cookie_sends_none_and_its_form_verifies(lti, app):
    launched = lti.launch(sub="stu-no-cookie", follow=False)
    iframe = app.test_client()  # a browser that dropped the tool's cookie
    page = iframe.get(f"/profile/?lid={launched.lid}")
    assert page.status_code == 200
    assert _session_cookies(page) == []
    saved = iframe.post("/profile/", data=_profile_form(csrf_token(page), launched.lid))
    assert saved.status_code == 303, saved.get_data(as_text=True)[:800]


def test_a_form_without_the_launch_id_verifies_by_the_cookies_launch(lti):
    launched = lti.launch(sub="stu-cookie-form", follow=False)
    page = lti.client.get(f"/profile/?lid={launched.lid}")
    saved = lti.client.post("/profile/", data=_profile_form(csrf_token(page)))  # no lid
    assert saved.status_code == 303, saved.get_data(as_text=True)[:800]


def test_a_token_of_another_launch_is_refused(lti, app):
    first = lti.launch(sub="stu-token-a", follow=False)
    second = lti.launch(sub="stu-token-b", follow=False)
    page = app.test_client().get(f"/profile/?lid={first.lid}")
    other = app.test_client().post("/profile/", data=_profile_form(csrf_token(page), second.lid))
    assert other.status_code == 400
