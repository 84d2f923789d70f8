"""Safe defaults: without CAREER_CREDIT_ENV the tool is production (and says what it lacks),
production refuses to start without a virus scanner unless an operator opts out (and the
administration page then says so), and files and the SQLite database are private."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet
from flask import render_template

from lti_tool import create_app
from lti_tool.settings import ConfigurationError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    for name in ("CAREER_CREDIT_ENV", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path / "instance"))
    return tmp_path


def test_without_an_environment_the_tool_is_production(no_env):
    dev = create_app(CAREER_CREDIT_ENV="development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert dev.config["SANDBOX_ENABLED"] is True  # control: development is said explicitly
    with pytest.raises(ConfigurationError, match="CAREER_CREDIT_ENV is not set"):
        create_app(SQLALCHEMY_DATABASE_URI="sqlite://")


def test_the_test_config_names_its_environment(no_env):
    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["CAREER_CREDIT_ENV"] == "testing"


def _production(**overrides):
    return create_app(
        CAREER_CREDIT_ENV="production",
        SECRET_KEY="x" * 40,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SQLALCHEMY_DATABASE_URI="sqlite://",
        **overrides,
    )


def test_production_needs_a_virus_scanner_or_an_explicit_opt_out(no_env):
    assert _production(CLAMAV_HOST="clamd.internal").config["CAREER_CREDIT_ENV"] == "production"
    with pytest.raises(ConfigurationError, match="virus scanner"):
        _production()
    opted_out = _production(VIRUS_SCAN_OPT_OUT=True)
    with opted_out.test_request_context():
        notice = render_template("admin/_scanner_notice.html")
    assert "Uploads are not scanned for viruses" in notice
    assert "VIRUS_SCAN_OPT_OUT" in notice
    scanned = _production(CLAMAV_HOST="clamd.internal")
    with scanned.test_request_context():
        assert "not scanned" not in render_template("admin/_scanner_notice.html")


def test_the_instance_folder_and_sqlite_database_are_private(no_env):
    db_file = no_env / "instance" / "career_credit.db"
    app = create_app(CAREER_CREDIT_ENV="development")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("career_credit.db")
    assert _mode(no_env / "instance") == 0o700
    assert _mode(db_file) == 0o600


def test_uploads_and_exports_are_written_private(app, tmp_path, monkeypatch):
    from accreditation.attainment import exports
    from internships.work.services import uploads
    from lti_tool.settings import create_private_file

    monkeypatch.setitem(app.config, "UPLOADS_DIR", str(tmp_path / "up"))
    monkeypatch.setitem(app.config, "ATTAINMENT_EXPORT_DIR", str(tmp_path / "ex"))
    with app.app_context():
        name = uploads._write(b"%PDF-1.4 resume", "resumes", ".pdf")
        stored = uploads.uploads_dir() / name
        assert stored.read_bytes() == b"%PDF-1.4 resume"  # control
        assert _mode(stored) == 0o600
        assert _mode(tmp_path / "up") == 0o700
        assert _mode(stored.parent) == 0o700
        zip_path = exports.export_dir() / "x.zip"
        create_private_file(zip_path)
        assert _mode(tmp_path / "ex") == 0o700
        assert _mode(zip_path) == 0o600


def test_the_development_outbox_lists_one_tenants_mail(app, make_platform):
    from lti_tool.extensions import db
    from lti_tool.notify.mail import outbox_for_tenant, send_email

    a, b = make_platform(), make_platform()
    with app.app_context():
        send_email(a.tenant_id, "sam@a.example", "For A", "Body A")
        send_email(b.tenant_id, "kim@b.example", "For B", "Body B")
        db.session.commit()
        subjects = [m.subject for m in outbox_for_tenant(a.tenant_id)]
    assert "For A" in subjects
    assert "For B" not in subjects
