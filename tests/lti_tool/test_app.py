"""The app as a whole: settings, migrations against models, headers, tenancy, CLI."""

from __future__ import annotations

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from lti_tool import create_app
from lti_tool.extensions import db, include_in_migrations
from lti_tool.models import Course, Registration, Tenant, User
from lti_tool.settings import ConfigurationError
from lti_tool.web import RedactFilter


def test_models_and_migrations_agree(app):
    import internships.models  # noqa: F401 - every model module
    import lti_tool.sandbox.models  # noqa: F401

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_in_migrations})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run 'flask db migrate': {diff}"


def test_production_refuses_without_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(CAREER_CREDIT_ENV="production", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_refuses_without_database(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app(CAREER_CREDIT_ENV="production", SECRET_KEY="x" * 40)


def test_production_refuses_without_encryption_keys(monkeypatch, tmp_path):
    monkeypatch.delenv("CAREER_CREDIT_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    with pytest.raises(ConfigurationError, match="CAREER_CREDIT_ENCRYPTION_KEYS"):
        create_app(
            CAREER_CREDIT_ENV="production",
            SECRET_KEY="x" * 40,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.db",
        )
    assert not (tmp_path / "encryption_key").exists()


def test_production_turns_sandbox_off_and_trusts_one_proxy(monkeypatch, tmp_path):
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    prod = create_app(
        CAREER_CREDIT_ENV="production",
        SECRET_KEY="x" * 40,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.db",
        VIRUS_SCAN_OPT_OUT=True,
    )
    assert prod.config["SANDBOX_ENABLED"] is False
    assert "sandbox" not in prod.blueprints
    assert type(prod.wsgi_app).__name__ == "ProxyFix"
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "None"


def test_development_secret_is_generated_into_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    first = create_app(CAREER_CREDIT_ENV="development", SQLALCHEMY_DATABASE_URI="sqlite://")
    second = create_app(CAREER_CREDIT_ENV="development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    secret = tmp_path / "secret_key"
    assert secret.exists() and oct(secret.stat().st_mode)[-3:] == "600"


def test_sqlite_uses_wal_and_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    app = create_app(
        CAREER_CREDIT_ENV="development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/wal.db"
    )
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() == 5000
        # each pooled connection's page cache, in KiB (SQLite's default is 2,000)
        assert db.session.execute(db.text("PRAGMA cache_size")).scalar() == -512


def test_the_sqlite_cache_setting_is_checked_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    for wrong in (0, -5, "512", True):
        with pytest.raises(ValueError, match="SQLITE_CACHE_KIB must be a whole number"):
            create_app(
                CAREER_CREDIT_ENV="development",
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/wal.db",
                SQLITE_CACHE_KIB=wrong,
            )


def test_launched_page_headers(lti, keyset):
    launched = lti.launch(sub="stu-headers", follow=False)
    resp = lti.client.get(f"/home/student?lid={launched.lid}")
    csp = resp.headers["Content-Security-Policy"]
    frame_ancestors = csp.split("frame-ancestors", 1)[1]
    assert f"http://localhost:{keyset.port}" in frame_ancestors
    assert "unsafe-inline" not in csp
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"


def test_session_cookie_works_in_iframe(lti):
    launched = lti.launch(sub="stu-cookie", follow=False)
    cookie = next(
        c for c in launched.response.headers.getlist("Set-Cookie") if c.startswith("cc_session=")
    )
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_access_log_redacts_launch_ids_and_tokens():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", "GET /home/student?lid=SECRETLAUNCH&x=1 HTTP/1.1", "200"),
        None,
    )
    RedactFilter().filter(record)
    text = record.getMessage()
    assert "SECRETLAUNCH" not in text and "lid=[redacted]" in text


def test_tenants_never_see_each_other(make_platform, driver, app):
    a, b = make_platform(), make_platform()
    la = driver(a).launch(sub="same-sub", course="same-course", title="Course at A")
    lb = driver(b).launch(sub="same-sub", course="same-course", title="Course at B")
    assert "Course at A" in la.home.get_data(as_text=True)
    assert "Course at B" not in la.home.get_data(as_text=True)
    assert "Course at B" in lb.home.get_data(as_text=True)
    with app.app_context():
        for model in (User, Course):
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.tenant_id.in_([a.tenant_id, b.tenant_id]))
                )
                == 2
            )
    # a launch id of A's browser shows A's course even on B's client
    other = driver(b).client.get(f"/home/student?lid={la.lid}")
    assert "Course at A" in other.get_data(as_text=True)
    assert "Course at B" not in other.get_data(as_text=True)


def test_cli_platform_add_list_remove(runner, app):
    result = runner.invoke(
        args=[
            "registration",
            "add",
            "--name",
            "State U Moodle",
            "--client-id",
            "moodle-1",
            "--preset",
            "moodle",
            "--moodle-url",
            "https://moodle.state.example",
            "--deployment-id",
            "1",
            "--strict-deployments",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.client_id == "moodle-1"))
        assert reg.auth_login_url == "https://moodle.state.example/mod/lti/auth.php"
        assert reg.auth_token_url == "https://moodle.state.example/mod/lti/token.php"
        assert reg.key_set_url == "https://moodle.state.example/mod/lti/certs.php"
        assert reg.strict_deployments
    listing = runner.invoke(args=["registration", "list"])
    assert "https://moodle.state.example\tmoodle-1" in listing.output
    again = runner.invoke(
        args=[
            "registration",
            "add",
            "--name",
            "Second key",
            "--client-id",
            "moodle-2",
            "--preset",
            "moodle",
            "--moodle-url",
            "https://moodle.state.example",
            "--tenant",
            "State U Moodle",
        ]
    )
    assert again.exit_code == 0, again.output
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == "State U Moodle"))
        assert len(tenant.registrations) == 2
    removed = runner.invoke(
        args=[
            "registration",
            "remove",
            "--issuer",
            "https://moodle.state.example",
            "--client-id",
            "moodle-2",
        ]
    )
    assert removed.exit_code == 0, removed.output


def test_cli_canvas_preset(runner, app):
    result = runner.invoke(
        args=[
            "registration",
            "add",
            "--name",
            "Hosted Canvas U",
            "--client-id",
            "10000000000042",
            "--preset",
            "canvas",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(Registration.client_id == "10000000000042")
        )
        assert reg.issuer == "https://canvas.instructure.com"
        assert reg.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--client-id", "c"], "Missing --issuer"),
        (["--name", "X", "--client-id", "c", "--preset", "moodle"], "needs --moodle-url"),
        (
            [
                "--name",
                "X",
                "--client-id",
                "c",
                "--issuer",
                "ftp://x",
                "--auth-login-url",
                "https://a",
                "--auth-token-url",
                "https://a",
                "--key-set-url",
                "https://a",
            ],
            "issuer must be",
        ),
        (
            ["--name", "X", "--client-id", "c", "--preset", "canvas", "--tenant", "Nobody U"],
            "no tenant named",
        ),
    ],
)
def test_cli_platform_add_bad_arguments(runner, app, args, message):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Registration))
        tenants = db.session.scalar(select(func.count()).select_from(Tenant))
    result = runner.invoke(args=["registration", "add", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == before
        assert db.session.scalar(select(func.count()).select_from(Tenant)) == tenants


def test_cli_duplicate_registration_refused(runner):
    args = ["registration", "add", "--name", "Dup U", "--client-id", "dup-1", "--preset", "canvas"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already registered" in again.output


def test_maintenance_purge_removes_only_expired(lti, app, runner):
    import datetime as dt

    from sqlalchemy import update

    from lti_tool.models import Launch, LtiState, utcnow

    old = lti.launch(sub="stu-old", follow=False)
    live = lti.launch(sub="stu-live", follow=False)
    pending = lti.login("stu-pending")
    with app.app_context():
        db.session.execute(
            update(Launch)
            .where(Launch.id == old.lid)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.execute(
            update(LtiState).where(LtiState.key != f"state:{pending['state']}").values(expires_at=0)
        )
        db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Launch, old.lid) is None
        assert db.session.get(Launch, live.lid) is not None
        assert db.session.get(LtiState, f"state:{pending['state']}") is not None


def test_migrations_have_one_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from lti_tool import resource_dir

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_ensure_sync_is_kept_per_function_and_bounded(app):
    """Flask asks ``ensure_sync`` of every hook and view on every request: the answer is kept
    per function, but never more than ``SYNC_KEPT`` of them (functions made per request)."""
    view = app.view_functions[app.url_map.bind("localhost").match("/healthz")[0]]
    assert app.ensure_sync(view) is view
    assert view in app._sync_functions

    for n in range(app.SYNC_KEPT + 100):
        made = app.ensure_sync(lambda n=n: n)
        assert made() == n
    assert len(app._sync_functions) <= app.SYNC_KEPT
