"""The calling convention (docs/ARCHITECTURE.md, "Launch context vs actor"): a public service
takes the launch context ``ctx`` or an ``Actor`` first and reads the tenant from it — never a
``tenant_id`` (or ``tenant``) and an actor passed separately, in whatever order."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lti_tool", "internships", "credit", "accreditation")
# The audit trail itself: an installation-wide actor (an operator, Dynamic Registration) records
# what it did in the tenant the change concerns.
EXEMPT = {("lti_tool/services/audit.py", "record")}


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                public = isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
                if public and (str(path.relative_to(ROOT)), node.name) not in EXEMPT:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node))
    return found


def _params(node: ast.FunctionDef) -> list[str]:
    args = node.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg != "self"]


def offenders() -> tuple[list[str], list[str]]:
    separate, not_first = [], []
    for where, node in _functions():
        params = _params(node)
        if "actor" not in params:
            continue
        if {"tenant_id", "tenant"} & set(params):
            separate.append(where)
        elif params[0] not in ("actor", "ctx"):
            not_first.append(where)
    return separate, not_first


def test_no_service_takes_a_tenant_and_an_actor_separately() -> None:
    separate, _ = offenders()
    assert separate == [], "take one Actor (tenant from actor.tenant) instead:\n" + "\n".join(
        separate
    )


def test_the_actor_comes_first() -> None:
    _, not_first = offenders()
    assert not_first == [], "put ctx or actor first:\n" + "\n".join(not_first)


def test_the_check_finds_what_it_is_for() -> None:
    bad = ast.parse("def approve(tenant_id, listing_id, actor): ...").body[0]
    late = ast.parse("def approve(listing_id, actor): ...").body[0]
    good = ast.parse("def approve(actor, listing_id): ...").body[0]
    assert isinstance(bad, ast.FunctionDef) and isinstance(late, ast.FunctionDef)
    assert isinstance(good, ast.FunctionDef)
    assert {"tenant_id"} & set(_params(bad)) and "actor" in _params(bad)
    assert _params(late)[0] not in ("actor", "ctx")
    assert _params(good)[0] == "actor"
