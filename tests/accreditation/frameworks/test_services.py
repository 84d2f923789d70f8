"""Frameworks: the built-ins seeded once per tenant, templates, and edits that version text."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from accreditation.frameworks import catalog, services
from accreditation.frameworks.models import (
    DEFAULT_SCALE,
    Framework,
    FrameworkItem,
    FrameworkItemVersion,
)
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Tenant

from .conftest import actor_in

NACE_NAMES = [
    "Career & Self-Development",
    "Communication",
    "Critical Thinking",
    "Equity & Inclusion",
    "Leadership",
    "Professionalism",
    "Teamwork",
    "Technology",
]


def test_nace_is_seeded_once_with_our_descriptions_and_the_default_scale(tenant):
    first = services.ensure_builtin_frameworks(tenant.id)
    again = services.ensure_builtin_frameworks(tenant.id)
    assert first.id == again.id
    count = db.session.scalar(
        select(func.count()).select_from(Framework).where(Framework.tenant_id == tenant.id)
    )
    assert count == 1
    fw = services.get_framework(tenant.id, first.id)
    assert [i.current.name for i in fw.items] == NACE_NAMES
    assert all(10 < len(i.current.statement) < 200 for i in fw.items)
    assert (
        fw.scale
        == DEFAULT_SCALE
        == [
            "Emerging Knowledge",
            "Understanding",
            "Early Application",
            "Advanced Application",
        ]
    )
    assert fw.source == "builtin" and fw.kind == "competencies"


def test_builtin_identifiers_are_the_same_in_every_tenant(app_ctx, tenant):
    other = Tenant(name=f"{tenant.name} other")
    db.session.add(other)
    db.session.flush()
    a = services.ensure_builtin_frameworks(tenant.id)
    b = services.ensure_builtin_frameworks(other.id)
    assert a.id != b.id and a.identifier == b.identifier
    assert [i.identifier for i in a.items] == [i.identifier for i in b.items]
    assert a.items[0].identifier == catalog.builtin_identifier("nace", "CSD")


def test_renaming_adds_a_version_and_keeps_the_old_text(tenant):
    fw = services.ensure_builtin_frameworks(tenant.id)
    ei = next(i for i in fw.items if i.current.name == "Equity & Inclusion")
    first_version = ei.current
    changed = services.revise_item(
        actor_in(tenant),
        ei.id,
        name="Inclusive Collaboration",
        statement=first_version.statement,
        human_coding="EI",
    )
    assert changed
    db.session.expire_all()
    item = services.get_item(tenant.id, ei.id)
    assert [v.name for v in item.versions] == ["Equity & Inclusion", "Inclusive Collaboration"]
    assert item.current.number == 2
    assert db.session.get(FrameworkItemVersion, first_version.id).name == "Equity & Inclusion"
    assert item.identifier == catalog.builtin_identifier("nace", "EI")
    # saving the same text again adds nothing
    assert not services.revise_item(
        actor_in(tenant),
        ei.id,
        name="Inclusive Collaboration",
        statement=first_version.statement,
        human_coding="EI",
    )
    assert len(services.get_item(tenant.id, ei.id).versions) == 2
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.tenant_id == tenant.id)
    ).all()
    assert actions.count("framework.item_revise") == 1


def test_abet_template_has_seven_outcomes_and_fresh_identifiers(tenant):
    fw = services.create_from_template(
        actor_in(tenant), "abet", "BS CS outcomes", "BS Computer Science"
    )
    again = services.create_from_template(actor_in(tenant), "abet", "", "BS EE")
    assert [i.human_coding for i in fw.items] == ["1", "2", "3", "4", "5", "6", "7"]
    assert fw.title == "BS CS outcomes" and fw.program == "BS Computer Science"
    assert again.title == catalog.ABET.title
    assert not {i.identifier for i in fw.items} & {i.identifier for i in again.items}
    assert fw.kind == "program" and fw.source == "template"


def test_blank_program_framework_takes_goals_and_objectives(tenant):
    fw = services.create_from_template(actor_in(tenant), "program", "BBA goals", "BBA")
    assert fw.items == []
    goal = services.add_item(
        actor_in(tenant),
        fw.id,
        name="Communication",
        statement="",
        human_coding="LG1",
        parent_id=None,
    )
    services.add_item(
        actor_in(tenant),
        fw.id,
        name="Written reports",
        statement="Writes a clear report.",
        human_coding="LG1.1",
        parent_id=goal.id,
    )
    rows = services.tree(services.get_framework(tenant.id, fw.id))
    assert [(r.item.human_coding, r.depth) for r in rows] == [("LG1", 0), ("LG1.1", 1)]


def test_refusals_name_the_reason(tenant):
    fw = services.ensure_builtin_frameworks(tenant.id)
    with pytest.raises(PolicyViolationError) as exc:
        services.add_item(
            actor_in(tenant), fw.id, name="  ", statement="", human_coding="", parent_id=None
        )
    assert exc.value.reason == "name_required"
    with pytest.raises(PolicyViolationError) as exc:
        services.add_item(
            actor_in(tenant), fw.id, name="x" * 301, statement="", human_coding="", parent_id=None
        )
    assert exc.value.reason == "name_too_long"
    with pytest.raises(PolicyViolationError) as exc:
        services.create_from_template(actor_in(tenant), "nace", "", "")
    assert exc.value.reason == "template"
    fw.source = "lms"
    with pytest.raises(PolicyViolationError) as exc:
        services.set_item_status(actor_in(tenant), fw.items[0].id, "retired")
    assert exc.value.reason == "lms_framework"


def test_retired_items_stay_with_their_versions(tenant):
    fw = services.ensure_builtin_frameworks(tenant.id)
    item = services.set_item_status(actor_in(tenant), fw.items[7].id, "retired")
    assert item.status == "retired"
    rows = services.tree(services.get_framework(tenant.id, fw.id), include_retired=False)
    assert len(rows) == 7
    assert services.set_item_status(actor_in(tenant), item.id, "active").status == "active"


def test_other_tenants_items_are_not_found(app_ctx, tenant):
    from lti_tool.errors import NotFoundError

    other = Tenant(name=f"{tenant.name} else")
    db.session.add(other)
    db.session.flush()
    fw = services.ensure_builtin_frameworks(other.id)
    with pytest.raises(NotFoundError):
        services.get_framework(tenant.id, fw.id)
    with pytest.raises(NotFoundError):
        services.revise_item(
            actor_in(tenant), fw.items[0].id, name="x", statement="", human_coding=""
        )


def test_concurrent_first_use_seeds_once(app):
    """Two requests seeding the same new tenant at once: one framework, no error."""
    with app.app_context():
        tenant = Tenant(name="Race tenant " + threading.current_thread().name)
        db.session.add(tenant)
        db.session.commit()
        tenant_id = tenant.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def seed() -> None:
        with app.app_context():
            try:
                barrier.wait()
                services.ensure_builtin_frameworks(tenant_id)
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=seed) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Framework).where(Framework.tenant_id == tenant_id)
            )
            == 1
        )
        items = db.session.scalar(
            select(func.count())
            .select_from(FrameworkItem)
            .where(FrameworkItem.tenant_id == tenant_id)
        )
        assert items == 8


def test_the_launch_hook_creates_the_builtin_once_then_asks_nothing(tenant):
    """``set_up_tenant`` runs at every launch: it creates a missing built-in framework, and once
    it has seen the framework stored, later launches cost no query."""
    from sqlalchemy import event

    assert services.builtin_framework(tenant.id) is None
    services.set_up_tenant(tenant.id)  # creates it (not remembered: this transaction made it)
    db.session.commit()
    assert services.builtin_framework(tenant.id) is not None
    services.set_up_tenant(tenant.id)  # finds it stored: remembered from now on

    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        services.set_up_tenant(tenant.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []
