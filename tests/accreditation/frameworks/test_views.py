"""The outcomes pages through real signed launches: faculty read, advisors edit and import,
CSRF, tenancy, the CASE download."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import func, select

from accreditation.frameworks.models import Framework, FrameworkItem, FrameworkItemVersion
from lti_tool.extensions import db
from tests.helpers import ADVISOR_RULE, csrf_token, launch_csrf, reason

from .conftest import CASE_DIR


def launch(driver, platform, role: str, sub: str):
    lti = driver(platform)
    custom = {"career_credit_role": "advisor"} if role == "advisor" else None
    launched = lti.launch(
        sub=sub,
        role="faculty" if role == "advisor" else role,
        custom=custom,
        follow=False,
        **({"course": None} if role == "advisor" else {}),
    )
    return lti.client, launched.lid


def nace(app, tenant_id: int) -> Framework:
    with app.app_context():
        fw = db.session.scalar(
            select(Framework).where(Framework.tenant_id == tenant_id, Framework.source == "builtin")
        )
        db.session.expunge(fw)
        return fw


def item_id(app, framework_id: int, name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(FrameworkItem.id)
            .join(FrameworkItemVersion, FrameworkItemVersion.item_id == FrameworkItem.id)
            .where(FrameworkItem.framework_id == framework_id, FrameworkItemVersion.name == name)
        )


def test_faculty_reads_the_seeded_nace_framework_but_cannot_edit(advised_platform, driver, app):
    client, lid = launch(driver, advised_platform, "faculty", "prof-1")
    page = client.get(f"/frameworks/?lid={lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "NACE Career Readiness Competencies" in body
    assert "Start program outcomes from a template" not in body
    fw = nace(app, advised_platform.tenant_id)
    detail = client.get(f"/frameworks/{fw.id}?lid={lid}").get_data(as_text=True)
    for name in ("Career &amp; Self-Development", "Equity &amp; Inclusion", "Technology"):
        assert name in detail
    assert "Emerging Knowledge, Understanding, Early Application, Advanced Application" in detail
    assert "Add an item" not in detail
    token = launch_csrf(app, lid)
    resp = client.post(
        f"/frameworks/{fw.id}",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "item",
            "name": "Resilience",
            "parent_id": "0",
        },
    )
    assert resp.status_code == 403 and reason(resp) == "role"


def test_student_cannot_open_frameworks(advised_platform, driver):
    client, lid = launch(driver, advised_platform, "student", "stu-1")
    resp = client.get(f"/frameworks/?lid={lid}")
    assert resp.status_code == 403 and reason(resp) == "role"


def test_advisor_renames_an_item_and_history_stays(advised_platform, driver, app):
    client, lid = launch(driver, advised_platform, "advisor", "adv-1")
    page = client.get(f"/frameworks/?lid={lid}")
    assert page.status_code == 200
    fw = nace(app, advised_platform.tenant_id)
    ei = item_id(app, fw.id, "Equity & Inclusion")
    form = client.get(f"/frameworks/items/{ei}?lid={lid}")
    assert "Change the wording" in form.get_data(as_text=True)
    resp = client.post(
        f"/frameworks/items/{ei}",
        data={
            "lid": lid,
            "csrf_token": csrf_token(form),
            "name": "Inclusion & Belonging",
            "statement": "Works respectfully with everyone.",
            "human_coding": "EI",
        },
    )
    assert resp.status_code == 303
    history = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Saved as a new version" in history
    assert "Inclusion &amp; Belonging" in history and "Equity &amp; Inclusion" in history
    with app.app_context():
        names = db.session.scalars(
            select(FrameworkItemVersion.name)
            .where(FrameworkItemVersion.item_id == ei)
            .order_by(FrameworkItemVersion.number)
        ).all()
    assert names == ["Equity & Inclusion", "Inclusion & Belonging"]


def test_rename_without_csrf_token_is_refused(advised_platform, driver, app):
    client, lid = launch(driver, advised_platform, "advisor", "adv-2")
    client.get(f"/frameworks/?lid={lid}")
    fw = nace(app, advised_platform.tenant_id)
    ei = item_id(app, fw.id, "Equity & Inclusion")
    assert client.get(f"/frameworks/items/{ei}?lid={lid}").status_code == 200  # control
    resp = client.post(f"/frameworks/items/{ei}", data={"lid": lid, "name": "Changed"})
    assert resp.status_code == 400 and reason(resp) == "csrf"
    assert item_id(app, fw.id, "Changed") is None


def test_advisor_adds_retires_and_builds_from_a_template(advised_platform, driver, app):
    client, lid = launch(driver, advised_platform, "advisor", "adv-3")
    page = client.get(f"/frameworks/?lid={lid}")
    token = csrf_token(page)
    resp = client.post(
        "/frameworks/",
        data={
            "form": "template",
            "lid": lid,
            "csrf_token": token,
            "template": "abet",
            "title": "BS CS outcomes",
            "program": "BS Computer Science",
        },
    )
    assert resp.status_code == 303
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "BS CS outcomes" in detail and "Solve complex problems" in detail
    fw_id = int(re.search(r"/frameworks/(\d+)", resp.headers["Location"]).group(1))
    resp = client.post(
        f"/frameworks/{fw_id}",
        data={"lid": lid, "csrf_token": token, "form": "item", "name": "", "parent_id": "0"},
    )
    assert resp.status_code == 422 and "Give the item a name." in resp.get_data(as_text=True)
    resp = client.post(
        f"/frameworks/{fw_id}",
        data={
            "form": "item",
            "lid": lid,
            "csrf_token": token,
            "name": "Computing ethics",
            "human_coding": "8",
            "parent_id": "0",
        },
    )
    assert resp.status_code == 303
    new = item_id(app, fw_id, "Computing ethics")
    resp = client.post(
        f"/frameworks/items/{new}/status",
        data={"lid": lid, "csrf_token": token, "status": "retired"},
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(FrameworkItem, new).status == "retired"


def test_advisor_imports_a_case_file_and_a_malformed_one_is_refused(advised_platform, driver, app):
    client, lid = launch(driver, advised_platform, "advisor", "adv-4")
    form = client.get(f"/frameworks/import?lid={lid}")
    token = csrf_token(form)

    def upload(name: str):
        return client.post(
            "/frameworks/import",
            data={
                "lid": lid,
                "csrf_token": token,
                "kind": "program",
                "file": (io.BytesIO((CASE_DIR / name).read_bytes()), name),
            },
            content_type="multipart/form-data",
        )

    ok = upload("valid_nested.json")
    assert ok.status_code == 303
    assert "6 new" in client.get(ok.headers["Location"]).get_data(as_text=True)
    bad = upload("malformed_bad_uuid.json")
    assert bad.status_code == 422
    assert "CFItems[3].identifier: not a UUID" in bad.get_data(as_text=True)
    again = upload("valid_nested_v2.json")
    assert "1 new, 1 changed, 4 unchanged, 1 retired" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context():
        titles = db.session.scalars(
            select(Framework.title).where(
                Framework.tenant_id == advised_platform.tenant_id, Framework.source == "case"
            )
        ).all()
    assert titles == ["BBA Program Learning Goals"]


def test_import_from_a_case_provider_url(advised_platform, driver, app, requests_mock):
    data = json.loads((CASE_DIR / "valid_flat.json").read_text())
    url = f"https://case.example.org/ims/case/v1p0/CFPackages/{data['CFDocument']['identifier']}"
    requests_mock.real_http = True  # the launch fetches the test platform's key set for real
    requests_mock.get(url, json=data)
    requests_mock.get("https://case.example.org/ims/case/v1p0/CFPackages/missing", status_code=404)
    client, lid = launch(driver, advised_platform, "advisor", "adv-5")
    token = csrf_token(client.get(f"/frameworks/import?lid={lid}"))
    ok = client.post(
        "/frameworks/import", data={"lid": lid, "csrf_token": token, "kind": "program", "url": url}
    )
    assert ok.status_code == 303
    missing = client.post(
        "/frameworks/import",
        data={
            "lid": lid,
            "csrf_token": token,
            "kind": "program",
            "url": "https://case.example.org/ims/case/v1p0/CFPackages/missing",
        },
    )
    assert missing.status_code == 502
    page = missing.get_data(as_text=True)
    assert "Career Credit could not read a CASE package at that address." in page
    assert "404" not in page.replace("correlation", "")  # no status oracle
    with app.app_context():
        fw = db.session.scalar(select(Framework).where(Framework.source_url == url))
        assert fw is not None and fw.tenant_id == advised_platform.tenant_id


def test_export_downloads_case_json_and_other_tenants_get_404(
    advised_platform, make_platform, driver, app
):
    client, lid = launch(driver, advised_platform, "faculty", "prof-2")
    client.get(f"/frameworks/?lid={lid}")
    fw = nace(app, advised_platform.tenant_id)
    resp = client.get(f"/frameworks/{fw.id}/case.json?lid={lid}")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    package = resp.get_json()
    assert package["CFDocument"]["identifier"] == fw.identifier
    assert len(package["CFItems"]) == 8
    other = make_platform(tenant_settings=ADVISOR_RULE)
    o_client, o_lid = launch(driver, other, "faculty", "prof-3")
    resp = o_client.get(f"/frameworks/{fw.id}/case.json?lid={o_lid}")
    assert resp.status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Framework)
                .where(Framework.tenant_id == other.tenant_id, Framework.source != "builtin")
            )
            == 0  # its own built-in (set up at its launch) only
        )
