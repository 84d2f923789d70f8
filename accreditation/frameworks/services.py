"""Frameworks and their items: seeding the built-ins, templates, and edits that version text.

Reads take the tenant id; changes take the ``Actor`` first (its tenant is the one changed).
Every change is audited and flushed; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from . import catalog
from .models import DEFAULT_SCALE, Framework, FrameworkItem, FrameworkItemVersion

NAME_MAX = 300
STATEMENT_MAX = 5000
CODE_MAX = 64
# Who the built-in frameworks' first versions are recorded under: the tool itself.
BUILTIN_AUTHOR = "Career Credit"


@dataclass(frozen=True)
class TreeRow:
    """An item with its depth in the hierarchy (0 for top level), in reading order."""

    item: FrameworkItem
    depth: int


def _framework_from_spec(
    tenant_id: int, spec: catalog.TemplateSpec, *, identifier: str, source: str, author: str
) -> Framework:
    fw = Framework(
        tenant_id=tenant_id,
        identifier=identifier,
        kind=spec.kind,
        source=source,
        template=spec.key,
        title=spec.title,
        description=spec.description,
        creator=spec.creator,
        scale=list(DEFAULT_SCALE),
    )
    db.session.add(fw)
    db.session.flush()
    for position, item in enumerate(spec.items):
        item_identifier = (
            catalog.builtin_identifier(spec.key, item.code)
            if source == "builtin"
            else str(uuid.uuid4())
        )
        new_item(
            fw,
            identifier=item_identifier,
            name=item.name,
            statement=item.statement,
            human_coding=item.code,
            position=position,
            author=author,
        )
    return fw


def _builtin_query(tenant_id: int) -> Select[Framework]:
    identifier = catalog.builtin_identifier(catalog.NACE.key)
    return select(Framework).where(
        Framework.tenant_id == tenant_id, Framework.identifier == identifier
    )


def builtin_framework(tenant_id: int) -> Framework | None:
    """The tenant's NACE framework, or None if it is not set up (a read: pages use this)."""
    return db.session.scalar(_builtin_query(tenant_id))


def ensure_builtin_frameworks(tenant_id: int) -> Framework:
    """The tenant's NACE framework, created if missing (safe to call from concurrent requests:
    the identifier is the same everywhere, so a second insert fails and is rolled back). Run
    by the tenant set-up hook (tenant creation, each launch) and ``flask frameworks seed``."""
    identifier = catalog.builtin_identifier(catalog.NACE.key)
    query = _builtin_query(tenant_id)
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            fw = _framework_from_spec(
                tenant_id,
                catalog.NACE,
                identifier=identifier,
                source="builtin",
                author=BUILTIN_AUTHOR,
            )
    except IntegrityError:
        fw = db.session.scalars(query).one()
    return fw


# Tenants (per database) this process has seen with their built-in framework already stored:
# the hook runs at every launch, and after the first it only needs to know that (a launch pays
# no query for it). Only a framework found stored is remembered, never one this transaction
# creates (a rollback would take it back).
_SET_UP: set[tuple[str, int]] = set()


def set_up_tenant(tenant_id: int) -> None:
    """The tenant set-up hook (``lti_tool.tenants``): the built-in frameworks exist."""
    key = (str(db.engine.url), tenant_id)
    if key in _SET_UP:
        return
    stored = db.session.scalar(_builtin_query(tenant_id).with_only_columns(Framework.id))
    if stored is not None:
        _SET_UP.add(key)
        return
    ensure_builtin_frameworks(tenant_id)


def list_frameworks(tenant_id: int, *, kinds: tuple[str, ...] | None = None) -> list[Framework]:
    """The tenant's frameworks, built-in first, then by title."""
    query = select(Framework).where(Framework.tenant_id == tenant_id)
    if kinds:
        query = query.where(Framework.kind.in_(kinds))
    rows = db.session.scalars(query.order_by(Framework.title, Framework.id)).all()
    return sorted(rows, key=lambda fw: (fw.source != "builtin", fw.kind == "course"))


def get_framework(tenant_id: int, framework_id: int) -> Framework:
    """One of the tenant's frameworks, with its items and their versions loaded."""
    fw = db.session.scalar(
        select(Framework)
        .where(Framework.id == framework_id, Framework.tenant_id == tenant_id)
        .options(selectinload(Framework.items).selectinload(FrameworkItem.versions))
    )
    if fw is None:
        raise NotFoundError("There is no such framework at your institution.")
    return fw


def get_item(tenant_id: int, item_id: int) -> FrameworkItem:
    """One of the tenant's framework items, with its versions loaded."""
    item = db.session.scalar(
        select(FrameworkItem)
        .where(FrameworkItem.id == item_id, FrameworkItem.tenant_id == tenant_id)
        .options(selectinload(FrameworkItem.versions))
    )
    if item is None:
        raise NotFoundError("There is no such outcome or competency at your institution.")
    return item


def tree(framework: Framework, *, include_retired: bool = True) -> list[TreeRow]:
    """The framework's items depth-first in their order (children under their parent)."""
    children: dict[int | None, list[FrameworkItem]] = {}
    for item in framework.items:
        if include_retired or item.status == "active":
            children.setdefault(item.parent_id, []).append(item)
    out: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            out.append(TreeRow(child, depth))
            walk(child.id, depth + 1)

    walk(None, 0)
    known = {row.item.id for row in out}
    # an item whose parent is retired and hidden still shows, at the top level
    for parent, items in children.items():
        if parent is not None and parent not in known:
            for item in items:
                if item.id not in known:
                    out.append(TreeRow(item, 0))
    return out


def _check_text(name: str, statement: str, human_coding: str) -> tuple[str, str, str]:
    name, statement, human_coding = name.strip(), statement.strip(), human_coding.strip()
    if not name:
        raise PolicyViolationError("Give the item a name.", reason="name_required")
    if len(name) > NAME_MAX:
        raise PolicyViolationError(
            f"Keep the name to {NAME_MAX} characters; put the rest in the description.",
            reason="name_too_long",
        )
    if len(statement) > STATEMENT_MAX:
        raise PolicyViolationError(
            f"Keep the description to {STATEMENT_MAX} characters.", reason="statement_too_long"
        )
    if len(human_coding) > CODE_MAX:
        raise PolicyViolationError(
            f"Keep the code to {CODE_MAX} characters.", reason="code_too_long"
        )
    return name, statement, human_coding


def _editable(fw: Framework) -> None:
    if fw.source == "lms":
        raise PolicyViolationError(
            "Course outcomes read from the LMS are changed in the LMS; read them again after.",
            reason="lms_framework",
        )


def new_item(
    fw: Framework,
    *,
    identifier: str,
    name: str,
    statement: str,
    author: str,
    human_coding: str = "",
    position: int | None = None,
    parent: FrameworkItem | None = None,
    item_type: str = "",
) -> FrameworkItem:
    """Add an item and its first version (no checks: callers validate)."""
    if position is None:
        position = len(fw.items)
    item = FrameworkItem(
        tenant_id=fw.tenant_id,
        framework=fw,
        identifier=identifier,
        parent=parent,
        position=position,
        human_coding=human_coding,
        item_type=item_type,
    )
    db.session.add(item)
    db.session.add(
        FrameworkItemVersion(
            tenant_id=fw.tenant_id,
            item=item,
            number=1,
            name=name,
            statement=statement,
            created_by=author,
        )
    )
    return item


def revise_text(item: FrameworkItem, name: str, statement: str, author: str) -> bool:
    """Add a version (by ``author``, the name it is recorded under) when the text differs from
    the current one; True if it did."""
    current = item.current
    if current.name == name and current.statement == statement:
        return False
    db.session.add(
        FrameworkItemVersion(
            tenant_id=item.tenant_id,
            item=item,
            number=current.number + 1,
            name=name,
            statement=statement,
            created_by=author,
        )
    )
    item.updated_at = utcnow()
    return True


def create_from_template(actor: Actor, key: str, title: str, program: str) -> Framework:
    """A new program framework from a shipped template (fresh identifiers)."""
    tenant_id = actor.tenant
    spec = catalog.TEMPLATES.get(key)
    if spec is None:
        raise PolicyViolationError("Choose one of the templates offered.", reason="template")
    fw = _framework_from_spec(
        tenant_id, spec, identifier=str(uuid.uuid4()), source="template", author=actor.name
    )
    fw.title = (title.strip() or spec.title)[:300]
    fw.program = program.strip()[:200]
    audit.record(actor, "framework.create", framework=fw.identifier, template=key)
    db.session.flush()
    return fw


def add_item(
    actor: Actor,
    framework_id: int,
    *,
    name: str,
    statement: str,
    human_coding: str,
    parent_id: int | None,
) -> FrameworkItem:
    """Add an outcome or competency to a framework (under a parent item when given)."""
    fw = get_framework(actor.tenant, framework_id)
    _editable(fw)
    name, statement, human_coding = _check_text(name, statement, human_coding)
    parent = None
    if parent_id:
        parent = next((i for i in fw.items if i.id == parent_id), None)
        if parent is None:
            raise PolicyViolationError("Choose a parent item from this framework.", reason="parent")
    item = new_item(
        fw,
        identifier=str(uuid.uuid4()),
        name=name,
        statement=statement,
        human_coding=human_coding,
        parent=parent,
        author=actor.name,
    )
    fw.updated_at = utcnow()
    audit.record(actor, "framework.item_add", framework=fw.identifier, item=item.identifier)
    db.session.flush()
    return item


def revise_item(
    actor: Actor, item_id: int, *, name: str, statement: str, human_coding: str
) -> bool:
    """Change an item's text (a new version; earlier versions stay as they were) or code.
    True when anything changed."""
    item = get_item(actor.tenant, item_id)
    _editable(item.framework)
    name, statement, human_coding = _check_text(name, statement, human_coding)
    changed = revise_text(item, name, statement, actor.name)
    if human_coding != item.human_coding:
        item.human_coding = human_coding
        changed = True
    if changed:
        item.framework.updated_at = utcnow()
        audit.record(
            actor,
            "framework.item_revise",
            item=item.identifier,
            version=item.versions[-1].number if item.versions else 1,
        )
    db.session.flush()
    return changed


def set_item_status(actor: Actor, item_id: int, status: str) -> FrameworkItem:
    """Retire an item (kept for the evidence that names it) or restore it."""
    if status not in ("active", "retired"):
        raise PolicyViolationError("Unknown status.", reason="status")
    item = get_item(actor.tenant, item_id)
    _editable(item.framework)
    if item.status != status:
        item.status = status
        item.updated_at = utcnow()
        audit.record(actor, f"framework.item_{status}", item=item.identifier)
    db.session.flush()
    return item


def framework_by_title(tenant_id: int, title_or_id: str) -> Framework:
    """A framework named on the command line by id, identifier or exact title."""
    query = select(Framework).where(Framework.tenant_id == tenant_id)
    if title_or_id.isdigit():
        query = query.where(Framework.id == int(title_or_id))
    elif len(title_or_id) == 36:
        query = query.where(Framework.identifier == title_or_id.lower())
    else:
        query = query.where(Framework.title == title_or_id)
    rows = db.session.scalars(query).all()
    if len(rows) != 1:
        raise NotFoundError(f"No single framework matches {title_or_id!r} in this tenant.")
    return rows[0]
