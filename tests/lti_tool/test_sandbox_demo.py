"""The sandbox shows its headline features: ``flask sandbox reset`` (asks, refuses in
production, drops the sandbox tenant's demo data and loads it again), Deep Linking offered to
instructors only (a TA's launches are read-only), and the sandbox home page's link to the
emails with the supervisors' and employers' signed links."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from credit.models import CreditPolicy
from internships.models import Employer
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Course, Tenant
from lti_tool.notify.models import EmailMessage
from lti_tool.sandbox import cli as sandbox_cli
from lti_tool.sandbox.reset import sandbox_tenant
from lti_tool.sandbox.seed import sandbox_info

STALE = "Stale Employer (left by a tester)"


@pytest.fixture(scope="module")
def reset_database(database_url, tmp_path_factory):
    """A database of its own, migrated: the reset drops the sandbox tenant's data, which the
    other tests' sandbox (the test database's "Sandbox University") must keep."""
    from flask_migrate import upgrade

    from lti_tool import create_app

    if database_url.startswith("postgresql"):
        import psycopg

        base, name = database_url.rsplit("/", 1)
        url = f"{base}/{name}_reset"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}_reset"')
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('reset')}/reset.db"
    with create_app("config.testing", SQLALCHEMY_DATABASE_URI=url).app_context():
        upgrade(revision="heads")
    yield url
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_reset" WITH (FORCE)')


@pytest.fixture
def reset_app(reset_database):
    """An app on that database (a test may change its configuration)."""
    from lti_tool import create_app

    return create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=reset_database,
        SANDBOX_TOOL_URL="http://tool.test",
        SANDBOX_PLATFORM_URL="http://lms.test",
    )


def _tenant_id(app) -> int:
    cfg = app.config
    with app.app_context():
        tenant_id = sandbox_tenant(
            sandbox_info(cfg["SANDBOX_TOOL_URL"], cfg["SANDBOX_PLATFORM_URL"])
        )
        assert tenant_id is not None
        return tenant_id


def _employers(app, tenant_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(Employer.name).where(Employer.tenant_id == tenant_id))
        )


def _seeded_with_a_stale_employer(app) -> int:
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["sandbox", "seed"])
    assert seeded.exit_code == 0, seeded.output
    tenant_id = _tenant_id(app)
    with app.app_context():
        if STALE not in _employers(app, tenant_id):
            db.session.add(Employer(tenant_id=tenant_id, name=STALE))
            db.session.commit()
    return tenant_id


def test_reset_asks_first_and_a_no_keeps_everything(reset_app):
    tenant_id = _seeded_with_a_stale_employer(reset_app)
    out = reset_app.test_cli_runner().invoke(args=["sandbox", "reset"], input="n\n")
    assert out.exit_code == 1
    assert "Delete every person, listing, application" in out.output
    assert "Aborted" in out.output
    assert STALE in _employers(reset_app, tenant_id)


def test_reset_is_refused_in_production(reset_app):
    tenant_id = _seeded_with_a_stale_employer(reset_app)
    reset_app.config["CAREER_CREDIT_ENV"] = "production"  # this test's own app
    out = reset_app.test_cli_runner().invoke(args=["sandbox", "reset", "--yes"])
    assert out.exit_code == 1
    assert "sandbox reset is refused in production (CAREER_CREDIT_ENV=production)" in out.output
    assert STALE in _employers(reset_app, tenant_id)


def test_reset_drops_the_sandbox_tenants_data_and_loads_the_demo_again(reset_app, monkeypatch):
    tenant_id = _seeded_with_a_stale_employer(reset_app)
    with reset_app.app_context():
        other = Tenant(name=f"Another university {secrets.token_hex(3)}")
        db.session.add(other)
        db.session.flush()
        db.session.add(Employer(tenant_id=other.id, name="Another university's employer"))
        db.session.commit()
        other_id = other.id
    # The credit demo only: the internships demo's engagements depend on today's date (its
    # own tests cover it); the command runs every loader make run runs, in DEMO_LOADERS.
    assert sandbox_cli.DEMO_LOADERS == (
        ("internships", "demo"),
        ("credit", "demo"),
        ("evidence", "sync"),
    )
    monkeypatch.setattr(sandbox_cli, "DEMO_LOADERS", (("credit", "demo"),))

    out = reset_app.test_cli_runner().invoke(args=["sandbox", "reset", "--yes"])
    assert out.exit_code == 0, out.output
    assert f"Dropped the demo data of tenant {tenant_id}:" in out.output
    assert "Sandbox LMS ready" in out.output
    assert "Demo credit policies are in" in out.output
    assert "Sandbox demo reset: " in out.output

    assert _employers(reset_app, tenant_id) == []  # what the tester left is gone
    assert _employers(reset_app, other_id) == ["Another university's employer"]
    assert _tenant_id(reset_app) == tenant_id  # the same tenant, registration and keys
    with reset_app.app_context():
        modes = dict(
            db.session.execute(
                select(Course.label, CreditPolicy.grading_mode)
                .join(CreditPolicy, CreditPolicy.course_id == Course.id)
                .where(Course.tenant_id == tenant_id)
            ).all()
        )
        assert modes == {"BUS 390": "pass_fail", "CS 195": "percentage"}
        actions = list(
            db.session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id))
        )
        assert actions == ["sandbox.reset"]  # the old trail went with the demo data


# --- Deep Linking: instructors only -----------------------------------------------------------


def test_only_instructors_are_offered_deep_linking(client, sandbox):
    page = client.get("/sandbox", base_url=sandbox.platform_url).get_data(as_text=True)
    assert "with Deep Linking (as Priya Raman, instructor)" in page
    assert "with Deep Linking (as Thomas Brooks, instructor)" in page
    assert "as Marcus Lee" not in page
    assert "faculty and TAs" not in page
    assert 'value="deep_link"' not in page  # the launch form opens the course only

    ok = client.get(
        "/sandbox/launch",
        query_string={"course": "bus-390", "person": "priya-raman", "message": "deep_link"},
        base_url=sandbox.platform_url,
    )
    assert ok.status_code == 200
    refused = client.get(
        "/sandbox/launch",
        query_string={"course": "bus-390", "person": "marcus-lee", "message": "deep_link"},
        base_url=sandbox.platform_url,
    )
    assert refused.status_code == 400
    assert "Marcus Lee is a teaching assistant" in refused.get_data(as_text=True)


# --- The emails with the supervisor and employer links -----------------------------------------


def test_home_links_to_the_sandbox_tenants_emails(app, client, sandbox):
    home = client.get("/sandbox", base_url=sandbox.platform_url).get_data(as_text=True)
    assert (
        '<a id="emails-link" href="/sandbox/emails">Emails sent (supervisor and employer links)</a>'
        in home
    )

    token = secrets.token_hex(4)
    with app.app_context():
        tenant_id = sandbox_tenant(sandbox)
        other = Tenant(name=f"Elsewhere university {token}")
        db.session.add(other)
        db.session.flush()
        db.session.add_all(
            [
                EmailMessage(
                    tenant_id=tenant_id,
                    to_address="supervisor@example.org",
                    subject=f"Confirm the hours {token}",
                    body=f"Open https://tool.example/s/{token} to confirm.",
                ),
                EmailMessage(
                    tenant_id=other.id,
                    to_address="someone@elsewhere.example",
                    subject=f"Elsewhere's mail {token}",
                    body="Not the sandbox's.",
                ),
            ]
        )
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(EmailMessage)) >= 2
    resp = client.get("/sandbox/emails", base_url=sandbox.platform_url)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "<h1>Emails sent (supervisor and employer links)</h1>" in page
    assert f"Confirm the hours {token}" in page
    assert f'href="https://tool.example/s/{token}"' in page  # the signed link, clickable
    assert f"Elsewhere's mail {token}" not in page
    # The advisor's outbox keeps needing a launch.
    assert client.get("/sandbox/outbox").status_code == 401
