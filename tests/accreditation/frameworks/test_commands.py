"""``flask frameworks import|export|list|seed``: one commit or nothing, one-line errors."""

from __future__ import annotations

import json
import secrets

from sqlalchemy import func, select

from accreditation.frameworks.models import Framework, FrameworkItem
from lti_tool.extensions import db
from lti_tool.models import Tenant

from .conftest import CASE_DIR


def new_tenant(app) -> str:
    with app.app_context():
        tenant = Tenant(name=f"CLI school {secrets.token_hex(3)}")
        db.session.add(tenant)
        db.session.commit()
        return tenant.name


def items_of(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(FrameworkItem)
            .join(Tenant, Tenant.id == FrameworkItem.tenant_id)
            .where(Tenant.name == name)
        )


def test_import_then_reimport_then_export(app, runner, tmp_path):
    tenant = new_tenant(app)
    first = runner.invoke(
        args=["frameworks", "import", str(CASE_DIR / "valid_nested.json"), "--tenant", tenant]
    )
    assert first.exit_code == 0, first.output
    assert "6 new, 0 changed, 0 unchanged, 0 retired" in first.output
    again = runner.invoke(
        args=["frameworks", "import", str(CASE_DIR / "valid_nested_v2.json"), "--tenant", tenant]
    )
    assert "1 new, 1 changed, 4 unchanged, 1 retired" in again.output
    assert items_of(app, tenant) == 7
    out = tmp_path / "bba.json"
    exported = runner.invoke(
        args=[
            "frameworks",
            "export",
            "--tenant",
            tenant,
            "--framework",
            "BBA Program Learning Goals",
            str(out),
        ]
    )
    assert exported.exit_code == 0, exported.output
    package = json.loads(out.read_text())
    assert len(package["CFItems"]) == 6  # the retired item is not exported
    listed = runner.invoke(args=["frameworks", "list", "--tenant", tenant])
    assert "NACE Career Readiness Competencies" in listed.output
    assert "BBA Program Learning Goals" in listed.output


def test_malformed_file_exits_non_zero_with_the_path_and_writes_nothing(app, runner):
    tenant = new_tenant(app)
    ok = runner.invoke(
        args=["frameworks", "import", str(CASE_DIR / "valid_flat.json"), "--tenant", tenant]
    )
    assert ok.exit_code == 0  # control
    bad = runner.invoke(
        args=["frameworks", "import", str(CASE_DIR / "malformed_cycle.json"), "--tenant", tenant]
    )
    assert bad.exit_code == 1
    assert (
        bad.output.strip()
        .splitlines()[-1]
        .startswith("Error: CFAssociations: the isChildOf links around")
    )
    with app.app_context():
        titles = db.session.scalars(
            select(Framework.title)
            .join(Tenant, Tenant.id == Framework.tenant_id)
            .where(Tenant.name == tenant)
        ).all()
    assert titles == ["BS Engineering Student Outcomes"]


def test_unknown_tenant_file_and_framework_are_one_line_errors(app, runner, tmp_path):
    tenant = new_tenant(app)
    resp = runner.invoke(args=["frameworks", "import", "nope.json", "--tenant", tenant])
    assert resp.exit_code == 1 and resp.output.strip() == "Error: No such file: nope.json"
    resp = runner.invoke(
        args=["frameworks", "import", str(CASE_DIR / "valid_flat.json"), "--tenant", "Nobody"]
    )
    assert resp.exit_code == 1 and "There is no tenant named 'Nobody'" in resp.output
    resp = runner.invoke(
        args=[
            "frameworks",
            "export",
            "--tenant",
            tenant,
            "--framework",
            "999999",
            str(tmp_path / "x.json"),
        ]
    )
    assert resp.exit_code == 1 and "No single framework matches '999999'" in resp.output
    assert not (tmp_path / "x.json").exists()


def test_seed_adds_the_built_in_framework_to_a_tenant_without_it_once(app, runner):
    tenant = new_tenant(app)  # created without the set-up hook, as before it existed
    assert items_of(app, tenant) == 0
    first = runner.invoke(args=["frameworks", "seed", "--tenant", tenant])
    assert first.exit_code == 0 and "added for 1 of 1 tenants" in first.output, first.output
    assert items_of(app, tenant) == 8
    again = runner.invoke(args=["frameworks", "seed", "--tenant", tenant])
    assert again.exit_code == 0 and "added for 0 of 1 tenants" in again.output
    assert items_of(app, tenant) == 8
    unknown = runner.invoke(args=["frameworks", "seed", "--tenant", "No such school"])
    assert unknown.exit_code != 0 and "There is no tenant named" in unknown.output
