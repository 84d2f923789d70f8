"""Admin pages, reached through real signed launches: tenant scoping, access, deployment
approval, advisor grants, tenant settings, CSRF. Each negative case follows a positive control."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import AdvisorGrant, AuditEntry, Deployment, Tenant, User
from tests.helpers import csrf_token, launch_csrf, reason
from tests.platform import CLAIM, INSTITUTION, MEMBERSHIP, page_address

ADMIN_PAGES = (
    "/admin/",
    "/admin/registrations",
    "/admin/guides",
    "/admin/advisors",
    "/admin/settings",
)


def admin_launch(driver, platform, sub: str = "admin-1", name: str = "Ada Admin"):
    lti = driver(platform)
    launched = lti.launch(sub=sub, role="admin", course=None, name=name)
    assert launched.home.status_code == 200, launched.home.get_data(as_text=True)[:500]
    assert "Career Credit administration" in launched.home.get_data(as_text=True)
    return lti, launched


def audit_count(app, tenant_id: int, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id, AuditEntry.action == action)
        )


def tenant_state(app, tenant_id: int) -> tuple[str, dict]:
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        return tenant.time_zone, dict(tenant.settings)


def user_id(app, tenant_id: int, sub: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(User.id).where(User.tenant_id == tenant_id, User.sub == sub)
        )


def refused_launch(lti, sub: str, role: str, *, course: str | None = None) -> str:
    params = lti.login(sub)
    context = {"id": course, "title": "T"} if course else None
    body = lti.platform.claims(sub=sub, role=role, nonce=params["nonce"], context=context)
    resp = lti.post(lti.platform.sign(body), params["state"])
    assert resp.status_code == 400
    return reason(resp)


def pending_deployment(platform, driver, deployment_id: str) -> None:
    """A launch from an unknown deployment of a strict platform: refused, left pending."""
    lti = driver(platform)
    params = lti.login("stu-pending")
    body = platform.claims(
        sub="stu-pending",
        role="student",
        nonce=params["nonce"],
        context={"id": "c1", "title": "T"},
        extra={CLAIM + "deployment_id": deployment_id},
    )
    resp = lti.post(platform.sign(body), params["state"])
    assert resp.status_code == 400
    assert reason(resp) == "unknown_deployment"


def test_overview_lists_registration_keys_and_audit(make_platform, driver):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = launched.home.get_data(as_text=True)
    words = re.sub(r"<[^>]+>", "", page)  # what people read, whatever the header's markup
    assert "Ada Admin · Career Credit administrator" in words
    assert "registration.add" in page  # the tenant's audit trail
    assert "<h1>" in page and page.index("<h1>") < page.index("<h2")
    # the overview's figures link to where each is handled; the details are a click away
    for address in ("/admin/registrations?", "/admin/guides?", "/credit/failures?"):
        assert f'href="{address}lid={launched.lid}' in page, address
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    assert platform.issuer in page
    assert platform.client_id in page
    assert "dep-1" in page
    assert "flask --app lti_tool keys rotate" in page
    assert "keys/rotate" not in page  # read-only: no rotation form for tenant admins
    assert "<h1>" in page and page.index("<h1>") < page.index("<h2")


def test_install_guides_have_their_own_page(make_platform, driver):
    lti, launched = admin_launch(driver, make_platform())
    assert "Install in Canvas (developer key)" not in launched.home.get_data(as_text=True)
    page = lti.client.get(f"/admin/guides?lid={launched.lid}").get_data(as_text=True)
    assert "<h1>Install guides</h1>" in page
    assert "Install in Canvas (developer key)" in page and "Install in Moodle" in page
    assert "Create a registration link" in page


def test_admin_sees_and_changes_own_tenant_only(make_platform, driver, app):
    mine, theirs = make_platform(), make_platform(strict=True)
    other_lti = driver(theirs)
    other_lti.launch(sub="their-person", role="faculty", name="Theo Theirs")
    pending_deployment(theirs, driver, "their-new-dep")
    their_user = user_id(app, theirs.tenant_id, "their-person")
    with app.app_context():
        their_dep = db.session.scalar(
            select(Deployment.id).where(
                Deployment.tenant_id == theirs.tenant_id,
                Deployment.deployment_id == "their-new-dep",
            )
        )
        grant = AdvisorGrant(tenant_id=theirs.tenant_id, user_id=their_user, granted_by="tests")
        db.session.add(grant)
        db.session.commit()
        their_grant = grant.id

    lti, launched = admin_launch(driver, mine)
    overview = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    assert mine.issuer in overview  # positive control
    assert theirs.issuer not in overview
    assert "their-new-dep" not in overview
    # both tenants' people have example.edu addresses: the search finds only its own
    advisors = lti.client.get(f"/admin/advisors?lid={launched.lid}&q=example.edu")
    assert advisors.status_code == 200
    assert "Ada Admin" in advisors.get_data(as_text=True)  # own people are offered
    assert "Theo Theirs" not in advisors.get_data(as_text=True)
    token = csrf_token(advisors)

    resp = lti.client.post(
        f"/admin/deployments/{their_dep}/approve", data={"lid": launched.lid, "csrf_token": token}
    )
    assert resp.status_code == 404
    resp = lti.client.post(
        "/admin/advisors", data={"lid": launched.lid, "csrf_token": token, "user": str(their_user)}
    )
    assert resp.status_code == 422
    assert "not known at your institution" in resp.get_data(as_text=True)
    resp = lti.client.post(
        f"/admin/advisors/{their_grant}/revoke", data={"lid": launched.lid, "csrf_token": token}
    )
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(Deployment, their_dep).status == "pending"
        assert db.session.get(AdvisorGrant, their_grant) is not None
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AdvisorGrant)
                .where(AdvisorGrant.user_id == their_user)
            )
            == 1
        )
    assert audit_count(app, theirs.tenant_id, "deployment.approve") == 0
    assert audit_count(app, theirs.tenant_id, "advisor.revoke") == 0


@pytest.mark.parametrize("role", ["student", "faculty", "ta", "observer"])
def test_course_roles_are_refused(make_platform, driver, role):
    platform = make_platform()
    admin_launch(driver, platform)  # positive control
    lti = driver(platform)
    launched = lti.launch(sub=f"{role}-1", role=role)
    assert launched.home.status_code == 200
    for path in ADMIN_PAGES:
        resp = lti.client.get(f"{path}?lid={launched.lid}")
        assert resp.status_code == 403, path
        assert reason(resp) == "role"
        assert "Career Credit administrator" not in resp.get_data(as_text=True)
    token = launch_csrf(lti.client.application, launched.lid)
    resp = lti.client.post(
        "/admin/settings", data={"lid": launched.lid, "time_zone": "UTC", "csrf_token": token}
    )
    assert resp.status_code == 403
    assert reason(resp) == "role"


def test_pages_refuse_a_request_without_launch(make_platform, driver, app):
    admin_launch(driver, make_platform())  # positive control
    resp = app.test_client().get("/admin/")
    assert resp.status_code == 401
    assert reason(resp) == "no_launch"


def test_instructor_who_is_institution_admin_reaches_admin(make_platform, driver):
    platform = make_platform()
    lti = driver(platform)
    roles = [f"{MEMBERSHIP}#Instructor", f"{INSTITUTION}#Administrator"]
    launched = lti.launch(sub="prof-admin", role="faculty", extra={CLAIM + "roles": roles})
    home = launched.home.get_data(as_text=True)
    assert "Instructor" in home  # keeps the course role
    assert f'href="/admin/?lid={launched.lid}"' in home
    for path in ADMIN_PAGES:
        assert lti.client.get(f"{path}?lid={launched.lid}").status_code == 200, path


def test_institution_admin_is_not_tool_admin_when_tenant_says_so(make_platform, driver):
    allowed = driver(make_platform())
    roles = [f"{MEMBERSHIP}#Instructor", f"{INSTITUTION}#Administrator"]
    control = allowed.launch(sub="prof-admin", role="faculty", extra={CLAIM + "roles": roles})
    assert allowed.client.get(f"/admin/?lid={control.lid}").status_code == 200
    lti = driver(make_platform(tenant_settings={"institution_admin_is_tool_admin": False}))
    launched = lti.launch(sub="prof-admin", role="faculty", extra={CLAIM + "roles": roles})
    resp = lti.client.get(f"/admin/?lid={launched.lid}")
    assert resp.status_code == 403
    assert reason(resp) == "role"


def test_approve_pending_deployment_without_cookie(make_platform, driver, app):
    platform = make_platform(strict=True)
    pending_deployment(platform, driver, "new-dep-9")
    _, launched = admin_launch(driver, platform)
    page = launched.home.get_data(as_text=True)
    assert "new-dep-9" in page
    assert "Pending approval" in page
    pk = re.search(r'action="/admin/deployments/(\d+)/approve', page).group(1)

    cookieless = app.test_client()  # a browser in an iframe that blocks the cookie
    resp = cookieless.post(
        f"/admin/deployments/{pk}/approve",
        data={"lid": launched.lid, "csrf_token": csrf_token(launched.home)},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    assert f"lid={launched.lid}" in resp.headers["Location"]
    with app.app_context():
        dep = db.session.get(Deployment, int(pk))
        assert (dep.status, dep.approved_at is not None) == ("active", True)
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == platform.tenant_id,
                AuditEntry.action == "deployment.approve",
            )
        )
        assert entry.detail["deployment_id"] == "new-dep-9"
        assert "Ada Admin" in entry.actor
    after = cookieless.get(f"/admin/?lid={launched.lid}").get_data(as_text=True)
    assert "Pending approval" not in after
    assert "deployment.approve" in after

    lti = driver(platform)
    params = lti.login("stu-pending")
    body = platform.claims(
        sub="stu-pending",
        role="student",
        nonce=params["nonce"],
        context={"id": "c1", "title": "T"},
        extra={CLAIM + "deployment_id": "new-dep-9"},
    )
    assert page_address(lti.post(platform.sign(body), params["state"]))


def _settings_form(
    tz="America/Chicago", name="career_credit_role", value="advisor", admins=True
) -> dict:
    data = {"time_zone": tz, "advisor_claim_name": name, "advisor_claim_value": value}
    if admins:
        data["institution_admin_is_tool_admin"] = "y"
    return data


def post_settings(lti, lid: str, **form):
    """The admin settings form (``_settings_form``'s fields) posted with its page's token."""
    page = lti.client.get(f"/admin/settings?lid={lid}")
    data = {"lid": lid, "csrf_token": csrf_token(page), **_settings_form(**form)}
    return lti.client.post("/admin/settings", data=data)


def test_post_without_csrf_token_is_refused(make_platform, driver, app):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}")
    assert page.status_code == 200  # positive control: the form renders with its token
    csrf_token(page)
    before = tenant_state(app, platform.tenant_id)
    resp = lti.client.post("/admin/settings", data={"lid": launched.lid, **_settings_form()})
    assert resp.status_code == 400
    assert reason(resp) == "csrf"
    assert tenant_state(app, platform.tenant_id) == before
    assert audit_count(app, platform.tenant_id, "tenant.settings") == 0


def test_csrf_token_of_another_launch_is_refused(make_platform, driver, app):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    other_lti, other = admin_launch(driver, make_platform(), sub="admin-2")
    foreign = csrf_token(other_lti.client.get(f"/admin/settings?lid={other.lid}"))
    own = csrf_token(lti.client.get(f"/admin/settings?lid={launched.lid}"))
    assert foreign != own
    before = tenant_state(app, platform.tenant_id)
    resp = lti.client.post(
        "/admin/settings", data={"lid": launched.lid, "csrf_token": foreign, **_settings_form()}
    )
    assert resp.status_code == 400
    assert reason(resp) == "csrf"
    assert tenant_state(app, platform.tenant_id) == before


def test_settings_saved_audited_and_applied(make_platform, driver, app):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}")
    assert 'selected value="UTC"' in page.get_data(as_text=True)
    with app.app_context():
        original = db.session.get(Tenant, platform.tenant_id).settings
    resp = app.test_client().post(
        "/admin/settings",
        data={"lid": launched.lid, "csrf_token": csrf_token(page), **_settings_form()},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    time_zone, settings = tenant_state(app, platform.tenant_id)
    assert time_zone == "America/Chicago"
    assert settings["advisor_claim"] == {"name": "career_credit_role", "value": "advisor"}
    assert settings["institution_admin_is_tool_admin"] is True
    assert original != settings  # a new dict was written, not the old one mutated
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == platform.tenant_id, AuditEntry.action == "tenant.settings"
            )
        )
        assert entry.detail["old"]["time_zone"] == "UTC"
        assert entry.detail["old"]["advisor_claim"] is None
        assert entry.detail["new"]["time_zone"] == "America/Chicago"
        assert entry.detail["new"]["advisor_claim"]["name"] == "career_credit_role"

    advisor = driver(platform).launch(
        sub="adv-claim", role="faculty", course=None, custom={"career_credit_role": "advisor"}
    )
    assert "Career advising at" in advisor.home.get_data(as_text=True)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}").get_data(as_text=True)
    assert 'selected value="America/Chicago"' in page
    assert 'value="career_credit_role"' in page


@pytest.mark.parametrize(
    ("form", "message", "kept"),
    [
        (_settings_form(tz="Mars/Olympus_Mons"), "Choose a time zone from the list", None),
        (_settings_form(value=""), "Enter the value the claim must have", "career_credit_role"),
        (_settings_form(name=""), "Enter the claim name too", 'value="advisor"'),
        (_settings_form(name="bad name!"), "Use 1 to 64 letters", 'value="bad name!"'),
        (_settings_form(name="x" * 65), "Use 1 to 64 letters", "x" * 65),
    ],
)
def test_settings_errors_rerender_and_save_nothing(make_platform, driver, app, form, message, kept):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}")
    before = tenant_state(app, platform.tenant_id)
    resp = lti.client.post(
        "/admin/settings", data={"lid": launched.lid, "csrf_token": csrf_token(page), **form}
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "The settings were not saved" in html
    if kept:
        assert kept in html
    assert tenant_state(app, platform.tenant_id) == before
    assert audit_count(app, platform.tenant_id, "tenant.settings") == 0


def test_advisor_grant_then_revoke(make_platform, driver, app):
    platform = make_platform()
    person = driver(platform)
    person.launch(sub="future-advisor", role="faculty", name="Fay Future")
    assert refused_launch(person, "future-advisor", "faculty") == "unsupported_role"
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}&q=fay")
    fay = user_id(app, platform.tenant_id, "future-advisor")
    assert f'value="{fay}"' in page.get_data(as_text=True)

    resp = lti.client.post(
        "/admin/advisors",
        data={"lid": launched.lid, "csrf_token": csrf_token(page), "user": str(fay)},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert audit_count(app, platform.tenant_id, "advisor.grant") == 1
    home = person.launch(sub="future-advisor", role="faculty", course=None, name="Fay Future").home
    assert "Career advising at" in home.get_data(as_text=True)

    page = lti.client.get(f"/admin/advisors?lid={launched.lid}")
    listed = page.get_data(as_text=True)
    assert "Fay Future" in listed
    grant_id = re.search(r'action="/admin/advisors/(\d+)/revoke', listed).group(1)
    resp = app.test_client().post(
        f"/admin/advisors/{grant_id}/revoke",
        data={"lid": launched.lid, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 303
    assert audit_count(app, platform.tenant_id, "advisor.revoke") == 1
    with app.app_context():
        assert db.session.get(AdvisorGrant, int(grant_id)) is None
    assert refused_launch(person, "future-advisor", "faculty") == "unsupported_role"


def test_grant_with_bad_person_rerenders(make_platform, driver, app):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}&q=ada")
    for bad in ("not-a-number", "999999999", ""):
        resp = lti.client.post(
            "/admin/advisors",
            data={"lid": launched.lid, "csrf_token": csrf_token(page), "user": bad},
        )
        assert resp.status_code == 422, bad
        assert "Nobody was granted the role" in resp.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AdvisorGrant)
                .where(AdvisorGrant.tenant_id == platform.tenant_id)
            )
            == 0
        )


def test_turning_off_admin_rule_needs_confirmation(make_platform, driver, app):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}")
    form = {
        "lid": launched.lid,
        "csrf_token": csrf_token(page),
        **_settings_form(tz="UTC", name="", value="", admins=False),
    }
    before = tenant_state(app, platform.tenant_id)
    resp = lti.client.post("/admin/settings", data=form)
    assert resp.status_code == 422
    assert "Tick this box to confirm" in resp.get_data(as_text=True)
    assert tenant_state(app, platform.tenant_id) == before

    resp = lti.client.post("/admin/settings", data={**form, "confirm_admin_lockout": "y"})
    # saved, and the rule that made this person an administrator no longer holds: the
    # session it gave them ends at once
    assert resp.status_code == 401
    assert 'data-reason="revoked"' in resp.get_data(as_text=True)
    assert "Settings saved" in resp.get_data(as_text=True)
    assert tenant_state(app, platform.tenant_id)[1]["institution_admin_is_tool_admin"] is False
    assert refused_launch(driver(platform), "admin-1", "admin") == "unsupported_role"


def test_overview_says_when_uploads_are_not_scanned(make_platform, driver, app, monkeypatch):
    platform = make_platform()
    monkeypatch.setitem(app.config, "CLAMAV_HOST", "127.0.0.1")
    _, scanned = admin_launch(driver, platform)
    assert 'id="virus-scan-notice"' not in scanned.home.get_data(as_text=True)
    monkeypatch.setitem(app.config, "CLAMAV_HOST", None)
    monkeypatch.setitem(app.config, "CLAMAV_SOCKET", None)
    monkeypatch.setitem(app.config, "VIRUS_SCAN_OPT_OUT", True)
    _, opted_out = admin_launch(driver, platform, sub="admin-2")
    page = opted_out.home.get_data(as_text=True)
    assert 'id="virus-scan-notice"' in page
    assert "The operator turned virus scanning off" in page
