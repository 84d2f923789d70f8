"""Fetching a CASE package from a provider: the address is checked, and every failure says
what to do."""

from __future__ import annotations

import socket

import pytest
import requests
import urllib3.util.connection

from connectors import case
from connectors.errors import CaseProviderError
from lti_tool import netguard

from .conftest import fixture

URL = "https://case.example.org/ims/case/v1p0/CFPackages/40a3d85b-2c1d-5395-a4ff-588680eb1a4e"


def test_fetches_the_package_json(requests_mock):
    requests_mock.get(URL, json=fixture("case", "valid_nested.json"))
    data = case.fetch_package(URL, requests.Session())
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
        ({"status_code": 404, "json": {"imsx_codeMajor": "failure"}}, "case_unreachable"),
        ({"text": "<html>a web page</html>"}, "case_not_json"),
        ({"exc": requests.ConnectTimeout}, "case_unreachable"),
    ],
)
def test_failures_say_what_to_do(requests_mock, response, reason):
    requests_mock.get(URL, **response)
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session())
    assert exc.value.reason == reason and exc.value.hint
    assert "404" not in exc.value.message and "Timeout" not in exc.value.message  # no oracle


def test_an_oversized_package_is_refused(requests_mock, monkeypatch):
    monkeypatch.setattr(case, "MAX_BYTES", 100)
    requests_mock.get(URL, json=fixture("case", "valid_nested.json"))
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session())
    assert exc.value.reason == "case_too_large"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
def test_private_hosts_are_refused_through_the_guarded_session(monkeypatch, address):
    """The guarded session refuses a provider whose name resolves privately, before any
    connection, and the person sees no address, port or status."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "case.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        if host == "sneaky.example.org":
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    def never(*args, **kwargs):
        raise AssertionError("connected")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", never)
    session = netguard.GuardedSession(allow_private=lambda: False)
    assert str(netguard.check_public_host(URL)) == "93.184.216.34"  # control
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package("https://sneaky.example.org/ims/case/v1p0/CFPackages/x", session)
    assert exc.value.reason == "case_unreachable"
    assert exc.value.message == "Career Credit could not read a CASE package at that address."


def test_redirects_are_not_followed(requests_mock):
    requests_mock.get(URL, status_code=302, headers={"Location": "https://127.0.0.1/x"})
    with pytest.raises(CaseProviderError) as exc:
        case.fetch_package(URL, requests.Session())
    assert exc.value.reason == "case_unreachable"
    assert "302" not in exc.value.message
