"""The launch lookup every launched request makes (``auth.load_launch``): one statement, run as
Core, whose tenant columns become the request's Tenant entity as a query of it would have
loaded it — persistent, clean, the values of the row — so a service's ``get_tenant`` reads no
row again and a flush writes nothing."""

from __future__ import annotations

from sqlalchemy import inspect, select

from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.models import Launch, Tenant
from lti_tool.tenants import get_tenant
from tests.helpers import counted

COLUMNS = tuple(column.key for column in Tenant.__table__.columns)


def _row(tenant_id: int) -> dict[str, object]:
    table = Tenant.__table__
    row = db.session.execute(select(table).where(table.c.id == tenant_id)).one()
    return dict(row._mapping)


def test_the_lookup_makes_the_tenant_entity_clean_and_get_tenant_reads_nothing(lti, app):
    launched = lti.launch(follow=False)
    with app.test_request_context("/"), counted() as seen:
        ctx = load_launch(launched.lid)
        assert ctx is not None and len(seen) == 1, seen
        tenant = get_tenant(ctx.tenant_id)
        state = inspect(tenant)
        assert state.persistent and not state.modified and not state.expired_attributes
        assert tenant not in db.session.dirty and tenant not in db.session.new
        db.session.flush()  # nothing to write
        assert len(seen) == 1, seen
        assert {name: getattr(tenant, name) for name in COLUMNS} == _row(ctx.tenant_id)
        assert (ctx.tenant_name, ctx.time_zone) == (tenant.name, tenant.time_zone)
        # a change made to it is written, as to any loaded row
        tenant.time_zone = "America/Chicago"
        db.session.flush()
        assert _row(ctx.tenant_id)["time_zone"] == "America/Chicago"
        db.session.rollback()


def test_a_tenant_the_session_holds_expired_is_filled_from_the_row(lti, app):
    launched = lti.launch(follow=False)
    with app.test_request_context("/"):
        tenant_id = db.session.get(Launch, launched.lid).tenant_id
        held = db.session.get(Tenant, tenant_id)
        db.session.expire(held)
        with counted() as seen:
            ctx = load_launch(launched.lid)
            assert ctx is not None
            assert get_tenant(tenant_id) is held
            values = {name: getattr(held, name) for name in COLUMNS}
        assert len(seen) == 1, seen  # the launch's statement only: no refresh of the tenant
        assert values == _row(tenant_id)
        assert not inspect(held).modified
        db.session.rollback()


def test_an_unknown_or_expired_launch_is_none(lti, app):
    from lti_tool.models import utcnow

    launched = lti.launch(follow=False)
    with app.test_request_context("/"):
        assert load_launch("x" * 43) is None
        launch = db.session.get(Launch, launched.lid)
        launch.expires_at = utcnow()
        db.session.flush()
        assert load_launch(launched.lid) is None
        db.session.rollback()


def test_a_launch_message_is_decoded_once_per_process_and_the_same_context_follows(
    lti, app, monkeypatch
):
    from lti_tool import auth

    monkeypatch.setattr(auth, "_CLAIMS", {})
    decoded: list[object] = []
    summary = auth.claims_summary
    monkeypatch.setattr(auth, "claims_summary", lambda m: decoded.append(m) or summary(m))
    launched = lti.launch(follow=False)
    with app.test_request_context("/"):
        first = load_launch(launched.lid)
        assert first is not None and launched.lid in auth._CLAIMS
        assert first.message_type == "LtiResourceLinkRequest" and len(decoded) == 1
        with counted() as seen:
            again = load_launch(launched.lid)
        assert again == first and len(seen) == 1
        assert len(decoded) == 1  # kept: its message neither read nor summarised again
        # the statement returns it only when asked
        values = {"lid": launched.lid, "now": auth.utcnow(), "with_message": False}
        row = db.session.execute(auth._launch_statement(), values).one()
        assert row[len(auth._LAUNCH_COLUMNS)] is None
        auth._CLAIMS.clear()
        assert load_launch(launched.lid) == first  # read and summarised again: the same
        assert len(decoded) == 2 and isinstance(decoded[1], dict)


def test_a_kept_launch_still_expires_and_the_kept_summaries_are_bounded(lti, app, monkeypatch):
    from lti_tool import auth
    from lti_tool.models import utcnow

    monkeypatch.setattr(auth, "_CLAIMS", {})
    monkeypatch.setattr(auth, "CLAIMS_KEPT", 2)
    lids = [lti.launch(sub=f"s-{n}", follow=False).lid for n in range(3)]
    with app.test_request_context("/"):
        for lid in lids:
            assert load_launch(lid) is not None
        assert list(auth._CLAIMS) == lids[1:]  # the oldest went first
        launch = db.session.get(Launch, lids[2])
        launch.expires_at = utcnow()
        db.session.flush()
        assert lids[2] in auth._CLAIMS and load_launch(lids[2]) is None
        db.session.rollback()
