"""Canvas: outcome groups and outcomes across pages, refresh on expiry, backoff on throttling
(429 and the older 403 "Rate Limit Exceeded"), refusals a person can act on, and OAuth2."""

from __future__ import annotations

import pytest
import requests

from connectors import canvas
from connectors.errors import CanvasAuthError, CanvasError, CanvasRateLimitError

from .conftest import fixture

BASE = "https://school.instructure.com"
GROUPS = f"{BASE}/api/v1/courses/101/outcome_groups"
LINKS = f"{BASE}/api/v1/courses/101/outcome_group_links"


def link_header(url: str, page: int, last: int) -> dict[str, str]:
    parts = [f'<{url}?page={page + 1}&per_page=2>; rel="next"'] if page < last else []
    parts += [
        f'<{url}?page={page}&per_page=2>; rel="current"',
        f'<{url}?page=1&per_page=2>; rel="first"',
        f'<{url}?page={last}&per_page=2>; rel="last"',
    ]
    return {"Link": ", ".join(parts)}


@pytest.fixture
def course_101(requests_mock):
    """Both listings in two pages each, as Canvas pages them."""
    requests_mock.get(
        GROUPS,
        json=fixture("canvas", "outcome_groups_page1.json"),
        headers=link_header(GROUPS, 1, 2),
    )
    requests_mock.get(
        f"{GROUPS}?page=2",
        json=fixture("canvas", "outcome_groups_page2.json"),
        headers=link_header(GROUPS, 2, 2),
    )
    requests_mock.get(
        LINKS,
        json=fixture("canvas", "outcome_group_links_page1.json"),
        headers=link_header(LINKS, 1, 2),
    )
    requests_mock.get(
        f"{LINKS}?page=2",
        json=fixture("canvas", "outcome_group_links_page2.json"),
        headers=link_header(LINKS, 2, 2),
    )
    return requests_mock


def test_course_outcomes_follow_every_page(course_101):
    result = canvas.CanvasClient(BASE, "token-1").course_outcomes(101)
    assert [g.title for g in result.groups] == [
        "BUS 390 Internship Seminar",
        "Professional practice",
        "Reflection",
    ]
    assert result.groups[1].parent_id == 1 and result.groups[0].parent_id is None
    assert result.groups[1].description == "Outcomes about working with a client."
    assert [(o.id, o.title, o.group_id) for o in result.outcomes] == [
        (11, "Client communication", 2),
        (12, "Project management", 2),
        (13, "Reflective practice", 3),
    ]  # outcome 11 is linked twice and appears once
    assert result.outcomes[0].description == (
        "Communicates progress and risks to a client clearly & on time."
    )
    assert result.outcomes[0].mastery_points == 3.0
    history = course_101.request_history
    assert [r.qs.get("page") for r in history] == [None, ["2"], None, ["2"]]
    assert history[2].qs["outcome_style"] == ["full"]
    assert all(r.headers["Authorization"] == "Bearer token-1" for r in history)


def test_expired_token_is_refreshed_once_and_the_call_repeated(course_101):
    course_101.get(
        GROUPS,
        [
            {
                "status_code": 401,
                "json": fixture("canvas", "error_invalid_token.json"),
                "headers": {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            },
            {
                "json": fixture("canvas", "outcome_groups_page1.json"),
                "headers": link_header(GROUPS, 1, 2),
            },
        ],
    )
    course_101.get(  # registered again so it still wins over the plain URL for page 2
        f"{GROUPS}?page=2",
        json=fixture("canvas", "outcome_groups_page2.json"),
        headers=link_header(GROUPS, 2, 2),
    )
    refreshed = []

    def refresh() -> str:
        refreshed.append(True)
        return "token-2"

    result = canvas.CanvasClient(BASE, "token-1", refresh=refresh).course_outcomes(101)
    assert len(result.groups) == 3 and refreshed == [True]
    auth = [r.headers["Authorization"] for r in course_101.request_history]
    assert auth[0] == "Bearer token-1" and set(auth[1:]) == {"Bearer token-2"}


def test_a_token_refused_after_refresh_asks_to_authorise_again(requests_mock):
    requests_mock.get(
        GROUPS,
        status_code=401,
        json=fixture("canvas", "error_invalid_token.json"),
        headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
    )
    with pytest.raises(CanvasAuthError) as exc:
        canvas.CanvasClient(BASE, "t", refresh=lambda: "t2").course_outcomes(101)
    assert exc.value.reason == "canvas_token"
    assert "Authorize Career Credit with Canvas again" in exc.value.hint
    assert requests_mock.call_count == 2  # the first try and one after the refresh


@pytest.mark.parametrize(
    "throttle",
    [
        {"status_code": 429, "text": "429 Too Many Requests"},
        {"status_code": 403, "text": "403 Forbidden (Rate Limit Exceeded)"},
    ],
    ids=["429", "older-403"],
)
def test_throttling_backs_off_and_retries(course_101, throttle):
    course_101.get(
        GROUPS,
        [
            throttle,
            throttle,
            {
                "json": fixture("canvas", "outcome_groups_page1.json"),
                "headers": link_header(GROUPS, 1, 2),
            },
        ],
    )
    course_101.get(
        f"{GROUPS}?page=2",
        json=fixture("canvas", "outcome_groups_page2.json"),
        headers=link_header(GROUPS, 2, 2),
    )
    waits: list[float] = []
    result = canvas.CanvasClient(BASE, "t", sleep=waits.append).course_outcomes(101)
    assert len(result.outcomes) == 3
    assert waits == [1.0, 2.0]


def test_throttling_that_does_not_stop_is_reported(requests_mock):
    requests_mock.get(GROUPS, status_code=403, text="403 Forbidden (Rate Limit Exceeded)")
    waits: list[float] = []
    with pytest.raises(CanvasRateLimitError) as exc:
        canvas.CanvasClient(BASE, "t", sleep=waits.append, max_retries=3).course_outcomes(101)
    assert waits == [1.0, 2.0, 4.0]
    assert exc.value.reason == "canvas_rate_limited" and "Wait a few minutes" in exc.value.hint


@pytest.mark.parametrize(
    ("response", "error", "reason"),
    [
        (
            {"status_code": 403, "json": {"errors": [{"message": "forbidden"}]}},
            CanvasAuthError,
            "canvas_forbidden",
        ),
        (
            {"status_code": 401, "json": fixture("canvas", "error_unauthorized.json")},
            CanvasAuthError,
            "canvas_unauthorized",
        ),
        (
            {"status_code": 404, "json": fixture("canvas", "error_not_found.json")},
            CanvasError,
            "canvas_not_found",
        ),
        ({"status_code": 500, "text": "Internal Server Error"}, CanvasError, "canvas_error"),
        ({"exc": requests.ConnectTimeout}, CanvasError, "canvas_unreachable"),
    ],
)
def test_refusals_become_errors_a_person_can_act_on(requests_mock, response, error, reason):
    requests_mock.get(GROUPS, **response)
    waits: list[float] = []
    with pytest.raises(error) as exc:
        canvas.CanvasClient(BASE, "t", sleep=waits.append).course_outcomes(101)
    assert exc.value.reason == reason
    assert exc.value.hint and "t" not in exc.value.message.split()
    assert waits == []  # only throttling is retried


def test_the_callers_session_is_used(course_101):
    """The core passes its session, whose every call has a timeout."""
    seen: list[object] = []

    class Recording(requests.Session):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            seen.append(kwargs.get("timeout"))
            kwargs.setdefault("timeout", 5)
            return super().request(method, url, *args, **kwargs)

    canvas.CanvasClient(BASE, "t", session=Recording()).course_outcomes(101)
    assert len(seen) == 4


# --- OAuth2 ----------------------------------------------------------------------------------


def test_authorization_url_carries_client_redirect_and_state():
    url = canvas.authorization_url(BASE, "10000000000123", "https://tool.example/cb", "st-1")
    assert url.startswith(f"{BASE}/login/oauth2/auth?")
    for part in (
        "client_id=10000000000123",
        "response_type=code",
        "state=st-1",
        "redirect_uri=https%3A%2F%2Ftool.example%2Fcb",
    ):
        assert part in url


def test_code_exchange_and_refresh_keep_the_refresh_token(requests_mock):
    requests_mock.post(
        f"{BASE}/login/oauth2/token",
        [
            {"json": fixture("canvas", "oauth_token.json")},
            {"json": fixture("canvas", "oauth_refresh.json")},
        ],
    )
    token = canvas.exchange_code(BASE, "cid", "secret", "https://tool.example/cb", "code-1")
    assert token.access_token == "7~wE3rTjk2uQyFAKEaccessTOKENfirst0001"
    assert token.refresh_token == "7~rEfReShFAKEtoken0002" and token.expires_at
    body = requests_mock.request_history[0].text
    for part in (
        "grant_type=authorization_code",
        "code=code-1",
        "client_id=cid",
        "client_secret=secret",
    ):
        assert part in body
    renewed = canvas.refresh_token(BASE, "cid", "secret", token.refresh_token)
    assert renewed.access_token == "7~nEwAcCeSsFAKEtoken0003"
    assert renewed.refresh_token == "7~rEfReShFAKEtoken0002"  # Canvas sends none: keep the old
    assert "grant_type=refresh_token" in requests_mock.request_history[1].text


def test_a_refused_code_is_an_auth_error(requests_mock):
    requests_mock.post(
        f"{BASE}/login/oauth2/token",
        status_code=400,
        json=fixture("canvas", "oauth_invalid_grant.json"),
    )
    with pytest.raises(CanvasAuthError) as exc:
        canvas.exchange_code(BASE, "cid", "secret", "https://tool.example/cb", "used-code")
    assert exc.value.reason == "canvas_oauth" and "invalid_grant" in exc.value.message


def test_revoke_deletes_the_token_and_tolerates_an_invalid_one(requests_mock):
    requests_mock.delete(f"{BASE}/login/oauth2/token", [{"json": {}}, {"status_code": 401}])
    canvas.revoke_token(BASE, "tok", requests.Session())
    canvas.revoke_token(BASE, "tok", requests.Session())
    assert requests_mock.request_history[0].headers["Authorization"] == "Bearer tok"
    requests_mock.delete(f"{BASE}/login/oauth2/token", status_code=500)
    with pytest.raises(CanvasError) as exc:
        canvas.revoke_token(BASE, "tok", requests.Session())
    assert exc.value.reason == "canvas_revoke"
