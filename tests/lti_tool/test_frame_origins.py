"""Frame origins: the LMS pages a tenant's pages may be shown in are learned where the platform
reveals them (signed launch claims, the posting page when a signed claim vouches for its host,
the Dynamic Registration configuration address), edited by administrators (admin page) and
operators (CLI), and a validated launch framed by an origin nobody allowed gets an explanation
page instead of the browser's "refused to connect". Real signed launches through the app."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.lti import frame_origins
from lti_tool.models import AuditEntry, Launch, Registration, Tenant
from tests.helpers import csrf_token
from tests.lti_tool.test_admin import admin_launch
from tests.lti_tool.test_csp import canvas_launch, canvas_tenant, directive
from tests.platform import CLAIM, launch_id, login_redirect_params, page_address

FRAMED = {"Sec-Fetch-Dest": "iframe"}


def _pages(school: str) -> str:
    """A new https address of LMS pages."""
    return f"https://canvas-{secrets.token_hex(3)}.{school}.edu"


def _framed_launch(lti, *, origin: str | None, sub: str, extra: dict | None = None, **kw):
    """The id_token POST as a browser sends it from an LMS page around the tool."""
    params = lti.login(sub)
    kw.setdefault("context", {"id": "course-fo", "title": "BUS 390"})
    body = lti.platform.claims(
        sub=sub, role=kw.pop("role", "student"), nonce=params["nonce"], extra=extra, **kw
    )
    headers = dict(FRAMED)
    if origin:
        headers["Origin"] = origin
    return lti.client.post(
        "/lti/launch",
        data={"id_token": lti.platform.sign(body), "state": params["state"]},
        headers=headers,
    )


def _reg(app, platform) -> dict:
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == platform.issuer,
                Registration.client_id == platform.client_id,
            )
        )
        assert reg is not None
        return {e["origin"]: e for e in reg.frame_origins}


def _audits(app, tenant_id: int, action: str) -> list[dict]:
    with app.app_context():
        return [
            a.detail
            for a in db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.tenant_id == tenant_id, AuditEntry.action == action
                )
            )
        ]


def _tenant_name(app, tenant_id: int) -> str:
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        assert tenant is not None
        return tenant.name


# --- learning from validated launches ----------------------------------------------------------


def test_the_signed_claims_teach_the_canvas_domain_and_nothing_else(app, keyset, make_platform):
    """A hosted-Canvas tenant with no frame_origins setting learns its vanity domain from the
    launch's $Canvas.api.domain and return URL; another school's domain never frames it."""
    school = _pages("school-e")
    other = _pages("school-f")
    platform = canvas_tenant(app, keyset, other)  # the setting names another address only
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(Registration.client_id == platform.client_id)
        )
        assert reg is not None
        reg.tenant.settings = {**reg.tenant.settings, "frame_origins": []}
        tenant_id = reg.tenant_id
        db.session.commit()
    client = app.test_client()
    lid = canvas_launch(client, platform, "fo-student")
    first = client.get(f"/home/student?lid={lid}")
    assert school not in directive(first, "frame-ancestors")  # nothing named it yet

    login = client.post(
        "/lti/login",
        data={"iss": platform.issuer, "login_hint": "fo-student", "client_id": platform.client_id},
    )
    params = login_redirect_params(login.headers["Location"])
    host = school.removeprefix("https://")
    body = platform.claims(
        sub="fo-student",
        role="student",
        nonce=params["nonce"],
        context={"id": "c-csp", "title": "T"},
        custom={"canvas_api_domain": host},
        extra={CLAIM + "launch_presentation": {"return_url": f"{school}/courses/1/external_tools"}},
    )
    resp = client.post(
        "/lti/launch",
        data={"id_token": platform.sign(body), "state": params["state"]},
        headers={**FRAMED, "Origin": school},
    )
    assert page_address(resp), resp.get_data(as_text=True)[:300]
    lid = launch_id(resp)
    page = client.get(f"/home/student?lid={lid}")
    ancestors = directive(page, "frame-ancestors")
    assert school in ancestors
    assert other not in ancestors
    assert "*" not in ancestors and "https://*.instructure.com" not in ancestors
    learned = _audits(app, tenant_id, "platform.frame_origin_learned")
    assert [(a["origin"], a["source"]) for a in learned] == [
        (school, frame_origins.SOURCE_API_DOMAIN)
    ]


def test_the_posting_page_is_learned_only_when_a_signed_claim_names_its_host(
    app, make_platform, driver
):
    platform = make_platform()
    lti = driver(platform)
    pages = _pages("school-g")
    # The return URL names the host over http; the page posts from https on the same host.
    http_pages = pages.replace("https://", "http://")
    resp = _framed_launch(
        lti,
        origin=pages,
        sub="fo-vouched",
        extra={CLAIM + "launch_presentation": {"return_url": f"{http_pages}/course/view.php"}},
    )
    assert page_address(resp), resp.get_data(as_text=True)[:300]
    learned = _reg(app, platform)
    assert learned[pages]["allowed"] and learned[pages]["source"] == frame_origins.SOURCE_ORIGIN
    assert learned[http_pages]["source"] == frame_origins.SOURCE_RETURN_URL


def test_an_unknown_framing_page_gets_the_explanation_and_is_only_seen(app, make_platform, driver):
    platform = make_platform()
    lti = driver(platform)
    stranger = _pages("stranger")
    # Positive control: a launch framed by the platform's own origin reaches the tool.
    own = re.match(r"https?://[^/]+", platform.issuer).group(0)  # type: ignore[union-attr]
    ok = _framed_launch(lti, origin=own, sub="fo-own")
    assert page_address(ok)  # the page itself, with the tenant's strict list
    assert "*" not in directive(ok, "frame-ancestors")
    assert own in directive(ok, "frame-ancestors")

    with app.app_context():
        launches_before = db.session.scalar(
            select(db.func.count())
            .select_from(Launch)
            .where(Launch.tenant_id == platform.tenant_id)
        )
    resp = _framed_launch(lti, origin=stranger, sub="fo-stranger")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    text = resp.get_data(as_text=True)
    assert 'data-reason="unknown_frame_origin"' in text
    assert stranger in text
    assert "Person fo-stranger" not in text and "fo-stranger@example.edu" not in text
    assert directive(resp, "frame-ancestors") == ["'self'", "*"]  # this page only
    link = re.search(r'href="(/lti/login\?[^"]+)" target="_blank"', text)
    assert link, text
    restart = lti.client.get(link.group(1).replace("&amp;", "&"))
    assert restart.status_code == 302 and restart.headers["Location"].startswith(
        platform.issuer + "/auth?"
    )
    with app.app_context():
        launches_after = db.session.scalar(
            select(db.func.count())
            .select_from(Launch)
            .where(Launch.tenant_id == platform.tenant_id)
        )
    assert launches_after == launches_before  # no session was made for the framed page
    seen = _reg(app, platform)[stranger]
    assert seen["allowed"] is False
    assert [
        a["origin"] for a in _audits(app, platform.tenant_id, "platform.frame_origin_seen")
    ] == [stranger]
    # Still not allowed: the tenant's pages keep the strict list.
    again = lti.launch(sub="fo-after")
    assert stranger not in directive(again.home, "frame-ancestors")
    assert "*" not in directive(again.home, "frame-ancestors")


def test_an_unframed_launch_is_never_held_back(make_platform, driver):
    lti = driver(make_platform())
    params = lti.login("fo-window")
    body = lti.platform.claims(
        sub="fo-window", role="student", nonce=params["nonce"], context={"id": "c", "title": "T"}
    )
    resp = lti.client.post(
        "/lti/launch",
        data={"id_token": lti.platform.sign(body), "state": params["state"]},
        headers={"Origin": _pages("elsewhere"), "Sec-Fetch-Dest": "document"},
    )
    assert page_address(resp)


def test_the_storage_login_page_may_be_framed_by_an_unknown_page_only(make_platform, client):
    platform = make_platform()
    data = {
        "iss": platform.issuer,
        "login_hint": "x",
        "client_id": platform.client_id,
        "lti_storage_target": "_parent",
    }
    own = re.match(r"https?://[^/]+", platform.issuer).group(0)  # type: ignore[union-attr]
    known = client.post("/lti/login", data=data, headers={**FRAMED, "Origin": own})
    assert known.status_code == 200
    assert own in directive(known, "frame-ancestors") and "*" not in directive(
        known, "frame-ancestors"
    )
    unknown = client.post("/lti/login", data=data, headers={**FRAMED, "Origin": _pages("u")})
    assert unknown.status_code == 200
    assert directive(unknown, "frame-ancestors") == ["'self'", "*"]


# --- the administrator ------------------------------------------------------------------------


def test_the_admin_allows_a_seen_origin_and_it_frames_the_tenant(app, make_platform, driver):
    platform = make_platform()
    stranger = _pages("seen-school")
    explained = _framed_launch(driver(platform), origin=stranger, sub="fo-seen")
    assert explained.status_code == 200
    lti, launched = admin_launch(driver, platform, sub="fo-admin")
    page = lti.client.get(f"/admin/frame-origins?lid={launched.lid}")
    assert page.status_code == 200
    assert f'data-seen-origin="{stranger}"' in page.get_data(as_text=True)
    token = csrf_token(page)

    # Without the CSRF token nothing happens.
    refused = lti.client.post(
        "/admin/frame-origins/allow", data={"lid": launched.lid, "origin": stranger}
    )
    assert refused.status_code == 400
    assert _reg(app, platform)[stranger]["allowed"] is False

    allowed = lti.client.post(
        "/admin/frame-origins/allow",
        data={"lid": launched.lid, "origin": stranger, "csrf_token": token},
    )
    assert allowed.status_code == 303
    assert [a["origin"] for a in _audits(app, platform.tenant_id, "tenant.frame_origin_added")] == [
        stranger
    ]
    assert stranger not in _reg(app, platform)  # no longer "seen": configured now
    home = lti.client.get(f"/admin/?lid={launched.lid}")
    assert stranger in directive(home, "frame-ancestors")
    # The next framed launch from it reaches the tool.
    assert page_address(_framed_launch(driver(platform), origin=stranger, sub="fo-seen"))

    removed = lti.client.post(
        "/admin/frame-origins/remove",
        data={"lid": launched.lid, "origin": stranger, "csrf_token": token},
    )
    assert removed.status_code == 303
    assert _audits(app, platform.tenant_id, "tenant.frame_origin_removed")[0]["origin"] == stranger
    home = lti.client.get(f"/admin/?lid={launched.lid}")
    assert stranger not in directive(home, "frame-ancestors")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://*.instructure.com", "wildcard"),
        ("https://canvas.instructure.com", "shared address"),
        ("https://canvas.school.edu/courses/1", "no path"),
        ("http://canvas.school.edu", "plain http"),
        ("not a url at all", "not a web address"),
        ("", "Enter the address"),
    ],
)
def test_a_bad_address_is_refused_with_a_reason_and_nothing_changes(
    app, make_platform, driver, value, message
):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform, sub="fo-admin-bad")
    page = lti.client.get(f"/admin/frame-origins?lid={launched.lid}")
    resp = lti.client.post(
        "/admin/frame-origins",
        data={"lid": launched.lid, "origin": value, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert message in text and 'aria-invalid="true"' in text
    assert _audits(app, platform.tenant_id, "tenant.frame_origin_added") == []


def test_the_admin_adds_an_address_for_the_own_tenant_only(app, make_platform, driver):
    mine, theirs = make_platform(), make_platform()
    lti, launched = admin_launch(driver, mine, sub="fo-admin-add")
    page = lti.client.get(f"/admin/frame-origins?lid={launched.lid}")
    school = _pages("added")
    resp = lti.client.post(
        "/admin/frame-origins",
        data={"lid": launched.lid, "origin": f" {school}/ ", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 303
    listing = lti.client.get(f"/admin/frame-origins?lid={launched.lid}").get_data(as_text=True)
    assert f'data-configured-origin="{school}"' in listing
    other_lti, other = admin_launch(driver, theirs, sub="fo-admin-other")
    other_page = other_lti.client.get(f"/admin/frame-origins?lid={other.lid}")
    assert school not in other_page.get_data(as_text=True)
    # Removing it from the other tenant changes nothing for mine.
    resp = other_lti.client.post(
        "/admin/frame-origins/remove",
        data={"lid": other.lid, "origin": school, "csrf_token": csrf_token(other_page)},
    )
    assert resp.status_code == 303
    listing = lti.client.get(f"/admin/frame-origins?lid={launched.lid}").get_data(as_text=True)
    assert f'data-configured-origin="{school}"' in listing


def test_a_student_cannot_reach_the_frame_origins_page(lti):
    launched = lti.launch(sub="fo-student-page", follow=False)
    resp = lti.client.get(f"/admin/frame-origins?lid={launched.lid}")
    assert resp.status_code == 403


# --- the operator -----------------------------------------------------------------------------


def test_the_operator_adds_lists_and_removes(app, make_platform, runner):
    platform = make_platform()
    name = _tenant_name(app, platform.tenant_id)
    school = _pages("cli")
    added = runner.invoke(args=["lti", "frame-origins", "add", "--tenant", name, school])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["lti", "frame-origins", "list", "--tenant", name])
    assert f"{school}\tconfigured" in listed.output
    assert _audits(app, platform.tenant_id, "tenant.frame_origin_added")[0]["origin"] == school
    removed = runner.invoke(args=["lti", "frame-origins", "remove", "--tenant", name, school])
    assert removed.exit_code == 0, removed.output
    listed = runner.invoke(args=["lti", "frame-origins", "list", "--tenant", name])
    assert school not in listed.output


@pytest.mark.parametrize(
    "args",
    [
        ["add", "--tenant", "{name}", "https://*.school.edu"],
        ["add", "--tenant", "{name}", "ftp://lms.school.edu"],
        ["add", "--tenant", "no such tenant", "https://lms.school.edu"],
        ["remove", "--tenant", "{name}", "https://never-added.school.edu"],
    ],
)
def test_the_operator_gets_one_clear_line_for_bad_input(app, make_platform, runner, args):
    name = _tenant_name(app, make_platform().tenant_id)
    result = runner.invoke(
        args=["lti", "frame-origins", *[a.replace("{name}", name) for a in args]]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output


def test_dynamic_registration_teaches_the_configuration_host_but_never_a_shared_one(
    app, make_platform
):
    platform = make_platform()
    school = _pages("dynreg")
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(Registration.client_id == platform.client_id)
        )
        assert reg is not None
        actor = Actor(reg.tenant_id, "dynamic registration (tests)")
        frame_origins.learn_from_registration(
            actor, reg, f"{school}/api/lti/security/openid-configuration"
        )
        frame_origins.learn_from_registration(
            actor, reg, "https://canvas.instructure.com/api/lti/security/openid-configuration"
        )
        db.session.commit()
    learned = _reg(app, platform)
    assert list(learned) == [school]
    assert learned[school]["source"] == frame_origins.SOURCE_DYNREG
    assert [
        a["origin"] for a in _audits(app, platform.tenant_id, "platform.frame_origin_learned")
    ] == [school]
