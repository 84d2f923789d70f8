"""A process keeps each tenant's CSP origins for the tenant's ``origins_version`` (issue 16: one
statement less on every page), and never uses them past a change: every change to what they
come from raises the version in its own transaction, and a page reads the version with its
launch. "Another server" below is a change written straight to the database, which this
process's kept origins never heard of."""

from __future__ import annotations

from sqlalchemy import event, select, text

from lti_tool import csp_versions
from lti_tool.admin.models import ConnectorCredentials
from lti_tool.extensions import db
from lti_tool.models import Registration, Tenant
from tests.lti_tool.test_csp import canvas_launch, canvas_tenant, directive

SCHOOL = "https://canvas.kept-a.edu"


def _statements(app, client, url: str) -> tuple[list[str], object]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    return seen, page


def _version(app, tenant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Tenant.origins_version).where(Tenant.id == tenant_id))


def _tenant_of(app, platform) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Registration.tenant_id).where(Registration.client_id == platform.client_id)
        )


def test_pages_reuse_the_origins_until_another_server_changes_them(app, keyset):
    platform = canvas_tenant(app, keyset, SCHOOL)
    client = app.test_client()
    lid = canvas_launch(client, platform, "kept-student")
    url = f"/home/student?lid={lid}"
    # The launch's own answer (the student's home) kept them already: start as a process
    # that has not served this tenant yet.
    csp_versions._KEPT.pop(_tenant_of(app, platform), None)
    first, page = _statements(app, client, url)
    assert SCHOOL in directive(page, "frame-ancestors")
    again, page = _statements(app, client, url)
    assert SCHOOL in directive(page, "frame-ancestors")
    registration_reads = [s for s in again if "FROM registration" in s]
    assert not registration_reads, "the second page computed the origins again"
    assert any("FROM registration" in s for s in first)  # control: the first one did

    # another server adds an origin through its own flush hook: here, straight SQL
    tenant_id = _tenant_of(app, platform)
    added = "https://canvas.kept-b.edu"
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        settings = {**tenant.settings, "frame_origins": [SCHOOL, added]}
        db.session.execute(
            Tenant.__table__.update()
            .where(Tenant.id == tenant_id)
            .values(settings=settings, origins_version=Tenant.origins_version + 1)
        )
        db.session.commit()
    _, page = _statements(app, client, url)
    assert added in directive(page, "frame-ancestors")


def test_every_change_to_what_the_origins_come_from_raises_the_version(app, keyset):
    platform = canvas_tenant(app, keyset, SCHOOL)
    tenant_id = _tenant_of(app, platform)
    start = _version(app, tenant_id)
    with app.app_context():  # the tenant's settings
        tenant = db.session.get(Tenant, tenant_id)
        tenant.settings = {**tenant.settings, "frame_origins": []}
        db.session.commit()
    assert _version(app, tenant_id) == start + 1
    with app.app_context():  # a registration's addresses
        reg = db.session.scalar(select(Registration).where(Registration.tenant_id == tenant_id))
        reg.auth_login_url = "https://canvas.kept-a.edu/api/lti/authorize_redirect"
        db.session.commit()
    assert _version(app, tenant_id) == start + 2
    with app.app_context():  # a Canvas connection
        reg = db.session.scalar(select(Registration).where(Registration.tenant_id == tenant_id))
        db.session.add(
            ConnectorCredentials(
                tenant_id=tenant_id, registration_id=reg.id, canvas_url="https://kept.test"
            )
        )
        db.session.commit()
    assert _version(app, tenant_id) == start + 3
    with app.app_context():  # what leaves them alone leaves the version alone
        tenant = db.session.get(Tenant, tenant_id)
        tenant.time_zone = "America/Chicago"
        db.session.commit()
        db.session.execute(text("SELECT 1"))
    assert _version(app, tenant_id) == start + 3


def test_a_change_in_the_request_shows_in_its_own_answer(app, keyset):
    platform = canvas_tenant(app, keyset, SCHOOL)
    client = app.test_client()
    lid = canvas_launch(client, platform, "kept-student-2")
    client.get(f"/home/student?lid={lid}")  # kept now
    tenant_id = _tenant_of(app, platform)
    with app.test_request_context():
        from flask import g

        g.launch_tenant_version = (tenant_id, _version(app, tenant_id))
        tenant = db.session.get(Tenant, tenant_id)
        tenant.settings = {**tenant.settings, "frame_origins": ["https://changed.kept.edu"]}
        db.session.flush()
        assert csp_versions.kept_origins(tenant_id) is None  # computed afresh for this answer
        db.session.rollback()
