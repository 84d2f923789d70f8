"""Service URLs (NRPS, AGS, every next page) are called only on hosts the registration knows:
its own URLs' hosts, hosts an operator added, and hosts its own validated launches named —
first come, first served across institutions. Anything else is refused before any request
(no token is even fetched), redirects are not followed, and no answer's body reaches a page.
Real signed launches from the independent test platform; the LMS's REST side is requests_mock
with NRPS-shaped answers."""

from __future__ import annotations

import secrets

import pytest
import requests_mock as rm
from sqlalchemy import select

from lti_tool import jobs
from lti_tool.actor import Actor
from lti_tool.errors import ConnectorError
from lti_tool.extensions import db
from lti_tool.jobs.outbox import Message
from lti_tool.lti import ags, service_hosts
from lti_tool.lti.services_client import roster
from lti_tool.models import AuditEntry, Registration
from tests.helpers import press_refresh_roster

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def _reg(platform) -> Registration:
    reg = db.session.scalar(select(Registration).where(Registration.issuer == platform.issuer))
    assert reg is not None
    return reg


def _launch_naming(driver, platform, roster_url: str, lineitems: str | None = None) -> str:
    extra = {NRPS: {"context_memberships_url": roster_url, "service_versions": ["2.0"]}}
    if lineitems:
        extra[AGS] = {"scope": [ags.SCOPE_LINEITEM, ags.SCOPE_SCORE], "lineitems": lineitems}
    sub = f"fac-{secrets.token_hex(3)}"
    return driver(platform).launch(sub=sub, role="faculty", extra=extra, follow=False).lid


def _members(url: str) -> dict:
    return {
        "id": url,
        "context": {"id": "course-1", "title": "BUS 390"},
        "members": [{"user_id": "u-1", "name": "Ada Lovelace", "roles": ["Learner"]}],
    }


def _audits(app, action: str, tenant_id: int) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.tenant_id == tenant_id
                )
            )
        )


def test_a_host_another_institution_knows_is_never_called_for_this_one(app, make_platform, driver):
    school_b, school_a = make_platform(), make_platform()
    host_b = f"canvas-{secrets.token_hex(3)}.school-b.example"
    roster_b = f"https://{host_b}/api/lti/courses/1/names_and_roles"
    _launch_naming(driver, school_b, roster_b)  # B's LMS teaches B's registration its domain
    with app.app_context():
        reg_b = _reg(school_b)
        assert host_b in reg_b.service_hosts
        reg_b_id, token_b = reg_b.id, reg_b.auth_token_url
    assert [
        a.detail["host"] for a in _audits(app, "platform.service_host_learned", reg_b.tenant_id)
    ]

    # Positive control: B's own roster is read on B's host.
    with rm.Mocker(real_http=True) as lms:
        lms.post(token_b, json={"access_token": "tok-b", "expires_in": 3600})
        lms.get(roster_b, json=_members(roster_b), headers={"Content-Type": MEMBERS})
        with app.app_context():
            assert [m.name for m in roster(reg_b_id, roster_b)] == ["Ada Lovelace"]

    # A's platform (set up by A's administrator) names B's host in a signed launch.
    roster_b_via_a = f"https://{host_b}/api/lti/courses/99/names_and_roles"
    _launch_naming(driver, school_a, roster_b_via_a)
    with app.app_context():
        reg_a = _reg(school_a)
        assert host_b not in reg_a.service_hosts
        reg_a_id, tenant_a, token_a = reg_a.id, reg_a.tenant_id, reg_a.auth_token_url
    refused = _audits(app, "platform.service_host_refused", tenant_a)
    assert [(a.detail["host"], a.detail["reason"]) for a in refused] == [
        (host_b, "known to another institution")
    ]
    with rm.Mocker(real_http=True) as lms:
        token = lms.post(token_a, json={"access_token": "tok-a", "expires_in": 3600})
        members = lms.get(roster_b_via_a, json=_members(roster_b_via_a))
        with app.app_context(), pytest.raises(service_hosts.UnknownServiceHostError) as exc:
            roster(reg_a_id, roster_b_via_a)
        assert (token.call_count, members.call_count) == (0, 0)  # refused before any request
    assert f"refused to call {host_b}: it is not a host of the platform registration" in str(
        exc.value.message
    )


def test_the_faculty_page_says_why_and_a_score_for_another_host_fails_for_good(
    app, make_platform, driver
):
    school_b, school_a = make_platform(), make_platform()
    host_b = f"lms-{secrets.token_hex(3)}.school-b.example"
    _launch_naming(driver, school_b, f"https://{host_b}/nrps/1")
    lid = _launch_naming(
        driver,
        school_a,
        f"https://{host_b}/nrps/2",
        lineitems=f"https://{host_b}/api/lti/courses/2/line_items",
    )
    client = driver(school_a).client
    assert press_refresh_roster(client, lid, "/credit/course").status_code == 303
    page = client.get(f"/credit/course?lid={lid}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "is not a host of the platform registration" in text.replace("&#39;", "'")

    with app.app_context():
        reg_a = _reg(school_a)
        msg = Message(
            1,
            reg_a.tenant_id,
            reg_a.id,
            ags.KIND_SCORE,
            {
                "lineitem": f"https://{host_b}/api/lti/courses/2/line_items/7",
                "userId": "u-1",
                "scoreGiven": 1,
                "scoreMaximum": 1,
                "timestamp": "2026-12-05T10:00:00.000+00:00",
            },
            "credit_award:1",
            1,
        )
        with rm.Mocker(real_http=True) as lms:
            outcome = jobs.send_one(msg, reg_a)
            assert lms.call_count == 0
    assert (outcome.result, outcome.http_status) == ("failed", None)  # not retried forever
    assert host_b in outcome.message


def test_redirects_are_not_followed_and_no_body_is_shown(app, make_platform, driver):
    school = make_platform()
    host = f"lms-{secrets.token_hex(3)}.school.example"
    url = f"https://{host}/api/lti/courses/1/names_and_roles"
    _launch_naming(driver, school, url)
    with app.app_context():
        reg = _reg(school)
        reg_id, token_url = reg.id, reg.auth_token_url
    with rm.Mocker(real_http=True) as lms:
        lms.post(token_url, json={"access_token": "t", "expires_in": 3600})
        lms.get(url, status_code=302, headers={"Location": "http://169.254.169.254/latest"})
        elsewhere = lms.get("http://169.254.169.254/latest", text="instance secrets")
        with app.app_context(), pytest.raises(ConnectorError) as redirected:
            roster(reg_id, url)
        assert "does not follow redirects" in redirected.value.message
        assert elsewhere.call_count == 0
        lms.get(url, status_code=500, text="<h1>db-password=hunter2</h1>")
        with app.app_context(), pytest.raises(ConnectorError) as failed:
            roster(reg_id, url)
    assert "HTTP 500" in failed.value.message and "hunter2" not in failed.value.message


def test_operators_add_and_remove_an_lms_domain(app, runner, make_platform):
    school, other = make_platform(), make_platform()
    with app.app_context():
        reg, reg_other = _reg(school), _reg(other)
        reg_id = reg.id
        service_hosts.add_service_host(
            Actor(reg_other.tenant_id, "tests"), reg_other, "canvas.other.example"
        )
        db.session.commit()
    added = runner.invoke(
        args=["lti", "service-hosts", "add", str(reg_id), "canvas.school.example"]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["lti", "service-hosts", "list", str(reg_id)])
    assert "canvas.school.example" in listed.output
    taken = runner.invoke(args=["lti", "service-hosts", "add", str(reg_id), "canvas.other.example"])
    assert taken.exit_code != 0
    assert "a host of another institution's registration" in taken.output
    assert "Traceback" not in taken.output
    removed = runner.invoke(
        args=["lti", "service-hosts", "remove", str(reg_id), "canvas.school.example"]
    )
    assert removed.exit_code == 0
    with app.app_context():
        assert "canvas.school.example" not in _reg(school).service_hosts


def test_known_hosts_are_the_registrations_own_and_plain_http_needs_an_http_platform(app):
    reg = Registration(
        id=1,
        tenant_id=1,
        name="Canvas",
        issuer="https://canvas.instructure.com",
        client_id="1",
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
        key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
        service_hosts=["canvas.school.edu"],
    )
    assert service_hosts.known_hosts(reg) == {
        "canvas.instructure.com",
        "sso.canvaslms.com",
        "canvas.school.edu",
    }
    service_hosts.check_service_url(reg, "https://canvas.school.edu/api/lti/courses/1/line_items")
    for bad, why in [
        ("https://other.instructure.com/api/lti/courses/1/line_items", "not a host"),
        ("http://canvas.school.edu/api/lti/courses/1/line_items", "plain http"),
        ("https://user:pw@canvas.school.edu/x", "not a plain web address"),
        ("ftp://canvas.school.edu/x", "not a plain web address"),
    ]:
        with pytest.raises(service_hosts.UnknownServiceHostError) as exc:
            service_hosts.check_service_url(reg, bad)
        assert why in exc.value.message, bad
