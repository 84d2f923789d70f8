"""1EdTech CASE 1.0/1.1 packages (CFPackage: CFDocument, CFItems, CFAssociations) read in
(``case_export`` writes them out).

``parse_package`` checks the whole package before anything is written and names the first bad
element by its path (``CFItems[3].identifier: not a UUID``). ``import_package`` then upserts by
identifier: the same document updates its framework, the same item gets a new version when its
text changed, and items no longer in the package are retired, never deleted. The caller commits
once, so a failure leaves nothing half-imported.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit
from lti_tool.text import storable

from .models import DEFAULT_SCALE, Framework, FrameworkItem
from .services import NAME_MAX, new_item, revise_text

CHILD_OF = "isChildOf"
KINDS = ("competencies", "program")


class CaseFormatError(PolicyViolationError):
    """A package that is not well-formed CASE; ``path`` names the first bad element."""

    title = "The CASE package was refused"
    hint = "Nothing was imported. Correct the package (or ask its provider to) and try again."

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}", reason="case_format")
        self.path = path


@dataclass(frozen=True)
class CaseItem:
    identifier: str
    name: str
    statement: str
    human_coding: str
    item_type: str


@dataclass(frozen=True)
class CasePackage:
    identifier: str
    title: str
    creator: str
    description: str
    version: str
    items: tuple[CaseItem, ...]
    # child identifier -> (parent identifier or None for the document, sequence number)
    parents: dict[str, tuple[str | None, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    framework: Framework
    created: int
    revised: int
    unchanged: int
    retired: int


# --- checking ------------------------------------------------------------------------------------


def _uuid(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise CaseFormatError(path, "missing" if value is None else "must be a string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise CaseFormatError(path, "not a UUID") from None


def _text(obj: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise CaseFormatError(f"{path}.{key}", "missing")
        return ""
    if not isinstance(value, str):
        raise CaseFormatError(f"{path}.{key}", "must be a string")
    if required and not value.strip():
        raise CaseFormatError(f"{path}.{key}", "must not be empty")
    return value.strip()


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CaseFormatError(path, "missing" if value is None else "must be an object")
    return value


def _date(obj: dict[str, Any], path: str) -> None:
    value = obj.get("lastChangeDateTime")
    if value is None:
        return
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CaseFormatError(
            f"{path}.lastChangeDateTime", "not an ISO 8601 date and time"
        ) from None


def _list(root: dict[str, Any], key: str, prefix: str) -> list[Any]:
    value = root.get(key, [])
    if not isinstance(value, list):
        raise CaseFormatError(f"{prefix}{key}", "must be a list")
    return value


def _shorten(statement: str) -> str:
    first_line = statement.splitlines()[0] if statement else ""
    return first_line if len(first_line) <= NAME_MAX else first_line[: NAME_MAX - 1] + "…"


def parse_package(data: Any) -> CasePackage:
    """Check a CFPackage (as JSON data) and return what it holds, or CaseFormatError."""
    if not storable(data):
        raise CaseFormatError("package", "holds a NUL character or a lone UTF-16 surrogate")
    root = _object(data, "package")
    prefix = ""
    if "CFPackage" in root and "CFDocument" not in root:  # some providers wrap the package
        root = _object(root["CFPackage"], "CFPackage")
        prefix = "CFPackage."
    doc = _object(root.get("CFDocument"), f"{prefix}CFDocument")
    doc_path = f"{prefix}CFDocument"
    doc_id = _uuid(doc.get("identifier"), f"{doc_path}.identifier")
    title = _text(doc, "title", doc_path, required=True)
    _date(doc, doc_path)
    items, seen = _items(root, prefix, doc_id)
    parents = _parents(root, prefix, doc_id, seen)
    _check_cycles(parents, prefix)
    return CasePackage(
        identifier=doc_id,
        title=title[:300],
        creator=_text(doc, "creator", doc_path)[:300],
        description=_text(doc, "description", doc_path),
        version=_text(doc, "version", doc_path)[:64],
        items=tuple(items),
        parents=parents,
    )


def _items(root: dict[str, Any], prefix: str, doc_id: str) -> tuple[list[CaseItem], dict[str, int]]:
    """The package's CFItems, checked; and the index of each identifier."""
    items: list[CaseItem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(_list(root, "CFItems", prefix)):
        path = f"{prefix}CFItems[{index}]"
        obj = _object(raw, path)
        ident = _uuid(obj.get("identifier"), f"{path}.identifier")
        if ident in seen:
            raise CaseFormatError(
                f"{path}.identifier", f"the same identifier as {prefix}CFItems[{seen[ident]}]"
            )
        if ident == doc_id:
            raise CaseFormatError(f"{path}.identifier", "the same identifier as the CFDocument")
        seen[ident] = index
        items.append(_item(obj, path, ident))
    return items, seen


def _item(obj: dict[str, Any], path: str, ident: str) -> CaseItem:
    statement = _text(obj, "fullStatement", path, required=True)
    abbreviated = _text(obj, "abbreviatedStatement", path)
    if len(abbreviated) > NAME_MAX:
        raise CaseFormatError(f"{path}.abbreviatedStatement", f"longer than {NAME_MAX} characters")
    _date(obj, path)
    return CaseItem(
        identifier=ident,
        name=abbreviated or _shorten(statement),
        statement=statement,
        human_coding=_text(obj, "humanCodingScheme", path)[:64],
        item_type=_text(obj, "CFItemType", path)[:100],
    )


def _parents(
    root: dict[str, Any], prefix: str, doc_id: str, seen: dict[str, int]
) -> dict[str, tuple[str | None, int]]:
    """Each item's parent (None: the document) and sequence, from the isChildOf links."""
    parents: dict[str, tuple[str | None, int]] = {}
    for index, raw in enumerate(_list(root, "CFAssociations", prefix)):
        path = f"{prefix}CFAssociations[{index}]"
        link = _child_of(_object(raw, path), path, doc_id, seen)
        if link is not None:
            child, parent, sequence = link
            # CASE allows more than one parent; the hierarchy here is a tree, so the first wins
            parents.setdefault(child, (None if parent == doc_id else parent, sequence))
    return parents


def _child_of(
    obj: dict[str, Any], path: str, doc_id: str, seen: dict[str, int]
) -> tuple[str, str, int] | None:
    """(child, parent, sequence) of an isChildOf association, checked; None for another type."""
    _uuid(obj.get("identifier"), f"{path}.identifier")
    kind = _text(obj, "associationType", path, required=True)
    origin = _object(obj.get("originNodeURI"), f"{path}.originNodeURI")
    dest = _object(obj.get("destinationNodeURI"), f"{path}.destinationNodeURI")
    if kind != CHILD_OF:
        return None  # other association types do not shape the hierarchy
    child = _uuid(origin.get("identifier"), f"{path}.originNodeURI.identifier")
    parent = _uuid(dest.get("identifier"), f"{path}.destinationNodeURI.identifier")
    if child not in seen:
        raise CaseFormatError(
            f"{path}.originNodeURI.identifier", "no CFItem in this package has it"
        )
    if parent != doc_id and parent not in seen:
        raise CaseFormatError(
            f"{path}.destinationNodeURI.identifier",
            "neither a CFItem of this package nor its CFDocument",
        )
    if parent == child:
        raise CaseFormatError(f"{path}", "an item cannot be its own parent")
    sequence = obj.get("sequenceNumber", 0)
    if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
        raise CaseFormatError(f"{path}.sequenceNumber", "must be a whole number")
    return child, parent, sequence or 0


def _check_cycles(parents: dict[str, tuple[str | None, int]], prefix: str) -> None:
    for start in parents:
        seen = {start}
        node = parents[start][0]
        while node is not None:
            if node in seen:
                raise CaseFormatError(
                    f"{prefix}CFAssociations", f"the isChildOf links around {node} form a loop"
                )
            seen.add(node)
            node = parents.get(node, (None, 0))[0]


# --- importing -----------------------------------------------------------------------------------


def _depth_order(package: CasePackage) -> list[CaseItem]:
    """Items with every parent before its children."""

    def depth(ident: str) -> int:
        n, node = 0, package.parents.get(ident, (None, 0))[0]
        while node is not None:
            n, node = n + 1, package.parents.get(node, (None, 0))[0]
        return n

    return sorted(package.items, key=lambda i: depth(i.identifier))


def import_package(
    actor: Actor,
    package: CasePackage,
    *,
    kind: str = "program",
    source_url: str | None = None,
) -> ImportResult:
    """Create or update the tenant's framework for a checked package (flushes; caller commits)."""
    if kind not in KINDS:
        raise PolicyViolationError("Choose competencies or program outcomes.", reason="kind")
    return upsert_framework(actor, package, kind=kind, source="case", source_url=source_url)


def upsert_framework(
    actor: Actor,
    package: CasePackage,
    *,
    kind: str,
    source: str,
    source_url: str | None = None,
    course_id: int | None = None,
) -> ImportResult:
    """Create or update a framework from package data, matching items by identifier: changed
    text adds a version, missing items are retired. Course outcomes read from the LMS
    (``source="lms"``) and imports never overwrite each other."""
    fw = _framework_for(actor.tenant, package, kind=kind, source=source, course_id=course_id)
    fw.title = package.title
    fw.creator = package.creator
    fw.description = package.description
    fw.version = package.version
    fw.source_url = source_url or fw.source_url
    fw.updated_at = utcnow()

    existing = {item.identifier: item for item in fw.items}
    by_identifier, created, revised, unchanged = _upsert_items(fw, package, existing, actor.name)
    db.session.flush()
    for position, spec in enumerate(package.items):
        item = by_identifier[spec.identifier]
        parent_ident, sequence = package.parents.get(spec.identifier, (None, 0))
        item.parent = by_identifier[parent_ident] if parent_ident else None
        item.position = sequence or position
    retired = 0
    for ident, item in existing.items():
        if ident not in by_identifier and item.status == "active":
            item.status = "retired"
            retired += 1
    audit.record(
        actor,
        "framework.lms_read" if source == "lms" else "framework.case_import",
        framework=fw.identifier,
        created=created,
        revised=revised,
        retired=retired,
        source_url=source_url or "",
    )
    db.session.flush()
    return ImportResult(fw, created, revised, unchanged, retired)


def _framework_for(
    tenant_id: int, package: CasePackage, *, kind: str, source: str, course_id: int | None
) -> Framework:
    """The tenant's framework with the package's identifier, created if new; refused when one
    of the two is from the LMS and the other is not."""
    fw = db.session.scalar(
        select(Framework)
        .where(Framework.tenant_id == tenant_id, Framework.identifier == package.identifier)
        .options(selectinload(Framework.items).selectinload(FrameworkItem.versions))
    )
    if fw is None:
        fw = Framework(
            tenant_id=tenant_id,
            identifier=package.identifier,
            kind=kind,
            source=source,
            scale=list(DEFAULT_SCALE),
            title=package.title,
            course_id=course_id,
        )
        db.session.add(fw)
        db.session.flush()
    elif (fw.source == "lms") != (source == "lms"):
        raise PolicyViolationError(
            "That identifier belongs to course outcomes read from the LMS."
            if fw.source == "lms"
            else "That identifier belongs to a framework that is not from the LMS.",
            reason="lms_framework",
        )
    return fw


def _upsert_items(
    fw: Framework, package: CasePackage, existing: dict[str, FrameworkItem], author: str
) -> tuple[dict[str, FrameworkItem], int, int, int]:
    """Add the package's new items and revise the others (parents first); the items by
    identifier, and how many were created, revised and unchanged."""
    created = revised = unchanged = 0
    by_identifier: dict[str, FrameworkItem] = {}
    for spec in _depth_order(package):
        item = existing.get(spec.identifier)
        if item is None:
            item = new_item(
                fw,
                identifier=spec.identifier,
                name=spec.name,
                statement=spec.statement,
                human_coding=spec.human_coding,
                item_type=spec.item_type,
                author=author,
            )
            created += 1
        else:
            changed = revise_text(item, spec.name, spec.statement, author)
            changed |= item.status != "active" or item.human_coding != spec.human_coding
            item.status, item.human_coding, item.item_type = (
                "active",
                spec.human_coding,
                spec.item_type,
            )
            revised += changed
            unchanged += not changed
        by_identifier[spec.identifier] = item
    return by_identifier, created, revised, unchanged
