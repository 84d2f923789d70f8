"""Every worker's runner ticks, so two may issue for one tenant at once: on PostgreSQL the
second waits for the first's transaction (the tenant's issuing lock, taken before the pending
rows are read), so they never deadlock over a superseded credential; other tenants go on."""

from __future__ import annotations

from sqlalchemy import text

from accreditation.credentials.issuance import sync
from lti_tool.actor import Actor
from lti_tool.extensions import db


def _free(tenant_id: int) -> bool:
    """Whether another connection could take the tenant's issuing lock now."""
    with db.engine.connect() as other, other.begin():
        key = sync.issuing_lock_key(tenant_id)
        return bool(other.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def test_a_second_issuer_of_the_same_tenant_waits_for_the_first(app, school, make_school):
    with app.app_context():
        other = make_school()
        if db.engine.dialect.name != "postgresql":  # SQLite lets one writer in by itself
            assert sync.sync_tenant(Actor(school.tenant_id, sync.AUTOMATIC)).issued == 0
            return
        assert _free(school.tenant_id)
        sync.sync_tenant(Actor(school.tenant_id, sync.AUTOMATIC))
        assert not _free(school.tenant_id)  # held until this transaction ends
        assert _free(other.tenant_id)  # another institution's issuing goes on
        db.session.rollback()
        assert _free(school.tenant_id)
