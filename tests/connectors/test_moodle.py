"""Moodle web services: the REST call's shape, the competency functions, and Moodle's error
body (often with HTTP 200) as a MoodleError with its errorcode and message."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests

from connectors import moodle
from connectors.errors import MoodleError

from .conftest import fixture

SITE = "https://moodle.example.edu"
SERVER = f"{SITE}/webservice/rest/server.php"


def form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.text).items()}


def client() -> moodle.MoodleClient:
    return moodle.MoodleClient(SITE + "/", "ws-token-abcd", requests.Session())


def test_course_competencies_in_course_order(requests_mock):
    requests_mock.post(SERVER, json=fixture("moodle", "list_course_competencies.json"))
    comps = client().course_competencies(7)
    assert [(c.id, c.shortname, c.parent_id) for c in comps] == [
        (21, "Communication", None),
        (22, "Teamwork", None),
        (25, "Written reports", 21),
    ]
    assert comps[0].description == "Shares ideas clearly in speech and writing."
    assert comps[0].framework_id == 3 and comps[0].idnumber == "CRC-COMM"
    sent = form(requests_mock.last_request)
    assert sent == {
        "wstoken": "ws-token-abcd",
        "wsfunction": "core_competency_list_course_competencies",
        "moodlewsrestformat": "json",
        "id": "7",
    }


def test_competency_frameworks_sends_nested_parameters(requests_mock):
    requests_mock.post(SERVER, json=fixture("moodle", "list_competency_frameworks.json"))
    frameworks = client().competency_frameworks()
    assert [(f.id, f.shortname, f.competencies_count) for f in frameworks] == [
        (3, "Career Readiness", 9)
    ]
    sent = form(requests_mock.last_request)
    assert sent["wsfunction"] == "core_competency_list_competency_frameworks"
    assert sent["context[contextlevel]"] == "system" and sent["context[instanceid]"] == "0"
    assert sent["sort"] == "shortname" and sent["onlyvisible"] == "1"


def test_flatten_matches_moodles_array_encoding():
    assert moodle.flatten({"a": [{"b": 1}, {"b": True}], "c": None}) == {
        "a[0][b]": "1",
        "a[1][b]": "1",
    }


@pytest.mark.parametrize(
    ("name", "status", "code", "words"),
    [
        ("error_invalidtoken.json", 200, "invalidtoken", "web-service token is not valid"),
        ("error_accessexception.json", 200, "accessexception", "access control exception"),
        ("error_invalidrecord.json", 200, "invalidrecord", "course or record was not found"),
        ("error_invalidtoken.json", 403, "invalidtoken", "web-service token is not valid"),
    ],
)
def test_error_bodies_become_moodle_errors(requests_mock, name, status, code, words):
    requests_mock.post(SERVER, json=fixture("moodle", "list_course_competencies.json"))
    assert client().course_competencies(7)  # positive control
    requests_mock.post(SERVER, status_code=status, json=fixture("moodle", name))
    with pytest.raises(MoodleError) as exc:
        client().course_competencies(7)
    assert exc.value.errorcode == code and exc.value.reason == f"moodle_{code}"
    assert words in exc.value.message and code in exc.value.message
    assert "ws-token-abcd" not in exc.value.message + exc.value.hint
    assert "SELECT" not in exc.value.message  # debug info stays out of the page
    assert fixture("moodle", name)["message"] not in exc.value.message  # never Moodle's body


def test_non_json_and_unreachable_are_errors_too(requests_mock):
    requests_mock.post(SERVER, status_code=404, text="<html>Not found</html>")
    with pytest.raises(MoodleError) as exc:
        client().competency_frameworks()
    # the outbox keeps the status (it retries a 429); the page and the reason do not
    assert exc.value.errorcode == "http_404" and exc.value.reason == "moodle_unreachable"
    assert "404" not in exc.value.message and "Not found" not in exc.value.message
    requests_mock.post(SERVER, exc=requests.ConnectionError)
    with pytest.raises(MoodleError) as exc:
        client().competency_frameworks()
    assert exc.value.errorcode == "unreachable"
    assert (
        exc.value.message == "Career Credit could not reach Moodle's web services at that address."
    )
