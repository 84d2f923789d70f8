"""A framework as a 1EdTech CASE 1.1 CFPackage (CFDocument, CFItems, isChildOf
CFAssociations): its active items in their current wording (``case`` reads packages in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import catalog
from .case import CHILD_OF
from .models import Framework


def _stamp(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "+00:00"


def _node(title: str, identifier: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": f"urn:uuid:{identifier}"}


def export_package(framework: Framework) -> dict[str, Any]:
    """The framework as a CASE 1.1 CFPackage (active items, current text)."""
    doc_node = _node(framework.title, framework.identifier)
    document: dict[str, Any] = {
        "identifier": framework.identifier,
        "uri": doc_node["uri"],
        "creator": framework.creator or "Career Credit",
        "title": framework.title,
        "lastChangeDateTime": _stamp(framework.updated_at),
        "description": framework.description,
        "adoptionStatus": "Adopted" if framework.status == "active" else "Deprecated",
        "CFPackageURI": doc_node,
    }
    if framework.version:
        document["version"] = framework.version
    items, associations = [], []
    active = [i for i in framework.items if i.status == "active"]
    by_id = {i.id: i for i in active}
    for item in active:
        current = item.current
        entry: dict[str, Any] = {
            "identifier": item.identifier,
            "uri": f"urn:uuid:{item.identifier}",
            "fullStatement": current.statement or current.name,
            "lastChangeDateTime": _stamp(item.updated_at),
            "CFDocumentURI": doc_node,
        }
        if current.statement and current.name != current.statement:
            entry["abbreviatedStatement"] = current.name
        if item.human_coding:
            entry["humanCodingScheme"] = item.human_coding
        if item.item_type:
            entry["CFItemType"] = item.item_type
        items.append(entry)
        parent = by_id.get(item.parent_id) if item.parent_id else None
        dest = _node(parent.current.name, parent.identifier) if parent else doc_node
        assoc_id = catalog.builtin_identifier("isChildOf", item.identifier, dest["identifier"])
        associations.append(
            {
                "identifier": assoc_id,
                "uri": f"urn:uuid:{assoc_id}",
                "associationType": CHILD_OF,
                "sequenceNumber": item.position,
                "originNodeURI": _node(current.name, item.identifier),
                "destinationNodeURI": dest,
                "lastChangeDateTime": _stamp(item.updated_at),
                "CFDocumentURI": doc_node,
            }
        )
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}
