"""Fetching a CASE package from a provider: the address is checked, and every failure says
what to do."""

from __future__ import annotations

import pytest
import requests

from connectors import case
from connectors.errors import CaseProviderError

from .conftest import fixture

URL = "https://case.example.org/ims/case/v1p0/CFPackages/40a3d85b-2c1d-5395-a4ff-588680eb1a4e"


def test_fetches_the_package_json(requests_mock):
    requests_mock.get(URL, json=fixture("case", "valid_nested.json"))
    data = case.fetch_package(URL, requests.Session(), allow_private=True)
    assert data["CFDocument"]["title"] == "BBA Program Learning Goals"
    assert requests_mock.last_request.headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    "url",
    [
        "http://case.example.org/ims/case/v1p0/CFPackages/x",
        "https://case.example.org/other/path",
        "not a url",
    ],
)
def test_only_https_package_addresses(url):
    with pytest.raises(CaseProviderError) as exc:
        case.check_package_url(url)
    assert exc.value.reason == "case_url"
    assert case.check_package_url(URL) == URL  # control


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ({"status_code": 404, "json": {"imsx_codeMajor": "failure"}}, "case_status"),
        ({"text": "<html>a web page</html>"}, "case_not_json"),
        ({"exc": requests.ConnectTimeout}, "case_unreachable"),
    ],
)
def test_failures_say_what_to_do(requests_mock, response, reason):
    requests_mock.get(URL, **response)
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session(), allow_private=True)
    assert exc.value.reason == reason and exc.value.hint


def test_an_oversized_package_is_refused(requests_mock, monkeypatch):
    monkeypatch.setattr(case, "MAX_BYTES", 100)
    requests_mock.get(URL, json=fixture("case", "valid_nested.json"))
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session(), allow_private=True)
    assert exc.value.reason == "case_too_large"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_private_hosts_are_refused_unless_allowed(requests_mock, host):
    url = f"https://{host}/ims/case/v1p0/CFPackages/x"
    requests_mock.get(url, json=fixture("case", "valid_flat.json"))
    assert case.fetch_package(url, requests.Session(), allow_private=True)  # control
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(url, requests.Session())
    assert exc.value.reason == "case_private_host"


def test_redirects_are_not_followed(requests_mock):
    requests_mock.get(URL, status_code=302, headers={"Location": "https://127.0.0.1/x"})
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session(), allow_private=True)
    assert exc.value.reason == "case_status"
