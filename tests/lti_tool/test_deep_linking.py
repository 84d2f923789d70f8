"""Deep Linking 2.0 round trip, verified on the platform side with lti1p3platform."""

from __future__ import annotations

import contextlib
import re

import jwt
import requests
from jwcrypto.jwk import JWK
from lti1p3platform.registration import Registration as PlatformRegistration

from tests.helpers import csrf_token
from tests.platform import CLAIM

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _picker(lti):
    params = lti.login("prof-dl")
    body = lti.platform.claims(
        sub="prof-dl",
        role="faculty",
        nonce=params["nonce"],
        context={"id": "c-dl", "title": "BUS 390"},
        message_type="LtiDeepLinkingRequest",
    )
    resp = lti.post(lti.platform.sign(body), params["state"])
    assert resp.status_code == 303
    assert "/lti/deep_link" in resp.headers["Location"]
    page = lti.client.get(resp.headers["Location"])
    assert page.status_code == 200
    return body, resp.headers["Location"], page.get_data(as_text=True)


def _tool_public_pem(lti, tool_url: str, kid: str) -> str:
    """The key from the launch's tenant's own key set, as its LMS fetches it over HTTP; the
    installation's legacy key set does not hold it."""
    from lti_tool.extensions import db
    from lti_tool.models import Tenant

    with lti.client.application.app_context():
        key_set_id = db.session.get(Tenant, lti.platform.tenant_id).key_set_id
    keys = requests.get(f"{tool_url}/lti/jwks/{key_set_id}", timeout=5).json()["keys"]
    jwk = next(k for k in keys if k["kid"] == kid)
    legacy = requests.get(f"{tool_url}/lti/jwks", timeout=5).json()["keys"]
    assert kid not in {k["kid"] for k in legacy}
    return JWK(**jwk).export_to_pem().decode()


def test_deep_linking_round_trip_verified_by_platform(lti, live_server):
    request_body, url, html = _picker(lti)
    lid = re.search(r"lid=([\w-]+)", url).group(1)
    resp = lti.client.post(
        "/lti/deep_link",
        data={"csrf_token": csrf_token(html), "lid": lid, "board": "y", "credit": "y"},
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    return_url = re.search(r'action="([^"]+)"', page).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    assert return_url == request_body[DL + "deep_linking_settings"]["deep_link_return_url"]

    kid = jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(
        token,
        _tool_public_pem(lti, live_server.tool_url, kid),
        algorithms=["RS256"],
        audience=lti.platform.issuer,
    )
    # lti1p3platform does not check aud or nonce itself: the platform side checks them here
    assert claims["aud"] == [lti.platform.issuer]
    assert claims["iss"] == lti.platform.client_id
    assert claims["nonce"]
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "deployment_id"] == lti.platform.deployment_id
    assert claims[DL + "data"] == request_body[DL + "deep_linking_settings"]["data"]
    items = claims[DL + "content_items"]
    assert [i["title"] for i in items] == ["Micro-internship board", "Micro-internship credit"]
    line_item = items[1]["lineItem"]
    assert line_item == {
        "label": "Micro-internship credit",
        "scoreMaximum": 100,
        "resourceId": "career-credit",
        "tag": "micro-internship-credit",
    }
    assert items[0]["url"].endswith("/lti/launch")


def test_deep_link_response_verifies_with_lti1p3platform(lti, live_server):
    _, url, html = _picker(lti)
    lid = re.search(r"lid=([\w-]+)", url).group(1)
    page = lti.client.post(
        "/lti/deep_link", data={"csrf_token": csrf_token(html), "lid": lid, "credit": "y"}
    ).get_data(as_text=True)
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    kid = jwt.get_unverified_header(token)["kid"]
    pem = _tool_public_pem(lti, live_server.tool_url, kid)
    # lti1p3platform verifies the signature (and rejects the aud it cannot check)
    with contextlib.suppress(jwt.InvalidAudienceError):
        PlatformRegistration.decode_and_verify(token, pem)
    assert jwt.decode(token, pem, algorithms=["RS256"], audience=lti.platform.issuer)


def test_picker_requires_a_choice(lti):
    _, url, html = _picker(lti)
    lid = re.search(r"lid=([\w-]+)", url).group(1)
    resp = lti.client.post("/lti/deep_link", data={"csrf_token": csrf_token(html), "lid": lid})
    assert resp.status_code == 200
    assert "Choose at least one item" in resp.get_data(as_text=True)


def test_picker_post_without_csrf_token_is_refused(lti):
    _, url, html = _picker(lti)
    lid = re.search(r"lid=([\w-]+)", url).group(1)
    ok = lti.client.post(
        "/lti/deep_link", data={"csrf_token": csrf_token(html), "lid": lid, "board": "y"}
    )
    assert ok.status_code == 200 and 'name="JWT"' in ok.get_data(as_text=True)
    resp = lti.client.post("/lti/deep_link", data={"lid": lid, "board": "y"})
    assert resp.status_code == 400
    assert 'data-reason="csrf"' in resp.get_data(as_text=True)
    assert 'name="JWT"' not in resp.get_data(as_text=True)


def test_students_cannot_deep_link(lti):
    params = lti.login("stu-dl")
    body = lti.platform.claims(
        sub="stu-dl",
        role="student",
        nonce=params["nonce"],
        context={"id": "c-dl", "title": "BUS 390"},
        message_type="LtiDeepLinkingRequest",
    )
    resp = lti.post(lti.platform.sign(body), params["state"])
    follow = lti.client.get(resp.headers["Location"])
    assert follow.status_code == 403


def test_placed_credit_link_lands_on_faculty_home(lti):
    home = lti.launch(sub="prof-placed", role="faculty", custom={"cc_placement": "credit"}).home
    assert home.status_code == 200
    assert "BUS 390 Internship Seminar" in home.get_data(as_text=True)


def test_picker_works_without_any_cookie(lti, app):
    """The iframe blocked every cookie: the launch id in the URL and the form carries the
    session, and the form still has working CSRF protection."""
    _, url, _ = _picker(lti)
    lid = re.search(r"lid=([\w-]+)", url).group(1)
    cookieless = app.test_client(use_cookies=False)
    html = cookieless.get(f"/lti/deep_link?lid={lid}").get_data(as_text=True)
    token = csrf_token(html)
    resp = cookieless.post("/lti/deep_link", data={"csrf_token": token, "lid": lid, "board": "y"})
    assert resp.status_code == 200
    assert 'name="JWT"' in resp.get_data(as_text=True)
    refused = cookieless.post("/lti/deep_link", data={"lid": lid, "board": "y"})
    assert refused.status_code == 400
    other = cookieless.post(
        "/lti/deep_link", data={"csrf_token": "x" + token[1:], "lid": lid, "board": "y"}
    )
    assert other.status_code == 400


def test_placed_board_link_lands_on_the_board(lti):
    home = lti.launch(sub="stu-board", role="student", custom={"cc_placement": "board"}).home
    assert home.status_code == 200
    assert "<h1>Micro-internships</h1>" in home.get_data(as_text=True)
