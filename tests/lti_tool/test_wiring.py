"""The wiring is explicit (docs/ARCHITECTURE.md): importing an application module registers
nothing — every blueprint, command, home panel, sender, tick hook, retention rule, erasure hook
and job counter is registered by a domain's ``register(app)`` from ``lti_tool.domains`` — the
modules import each other without a cycle and without imports below the code, and the domains'
model lists cover every table, so Alembic and the privacy schema see them all."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lti_tool", "internships", "credit", "accreditation", "connectors")


def _run(script: str) -> dict:
    """Run ``script`` in a fresh interpreter (nothing imported yet); its last line as JSON."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


IMPORT_EVERYTHING = f"""
import importlib, pkgutil
PACKAGES = {PACKAGES!r}

def application_modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield name
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            yield info.name
"""

REGISTRIES = """
import click
from flask import Blueprint
from lti_tool.jobs import outbox, runner
from lti_tool.tasks import registry
from lti_tool.privacy import hooks, retention

def registries():
    return {
        "senders": sorted(outbox._senders),
        "registrationless": sorted(outbox._registrationless),
        "tick hooks": sorted(runner._tick_hooks),
        "erasure hooks": sorted(hooks._hooks),
        "file rules": sorted(retention._file_rules),
        "task kinds": sorted(registry._kinds),
    }

def groups_and_blueprints(modules):
    groups, blueprints = {}, {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, click.Group):
                groups[id(value)] = value
            elif isinstance(value, Blueprint):
                blueprints[id(value)] = value
    return groups, blueprints
"""


def test_importing_any_module_registers_nothing():
    result = _run(
        IMPORT_EVERYTHING
        + REGISTRIES
        + """
import json, sys
modules, changed = [], []
commands = {}  # group id -> its command names when first seen
for name in application_modules():
    modules.append(importlib.import_module(name))
    groups, _ = groups_and_blueprints(modules)
    for key, group in groups.items():
        names = sorted(group.commands)
        if key in commands and commands[key] != names:
            changed.append(f"importing {name} added commands to {group.name}")
        commands[key] = names
groups, blueprints = groups_and_blueprints(modules)
before = registries()
blueprint_commands = {bp.name: sorted(bp.cli.commands) for bp in blueprints.values()}
blueprint_deferred = {bp.name: len(bp.deferred_functions) for bp in blueprints.values()}

from lti_tool import create_app
app = create_app("config.testing", SQLALCHEMY_DATABASE_URI="sqlite://", SANDBOX_ENABLED=True)
print(json.dumps({
    "modules": len(modules),
    "changed": changed,
    "before": before,
    "blueprint commands": {k: v for k, v in blueprint_commands.items() if v},
    "deferred unchanged": blueprint_deferred
        == {bp.name: len(bp.deferred_functions) for bp in blueprints.values()},
    "after": registries(),
    "panels": len(app.extensions["home_panels"]),
    "app commands": sorted(app.cli.commands),
}))
"""
    )
    assert result["modules"] > 100
    assert result["changed"] == []
    assert result["before"] == {key: [] for key in result["before"]}
    assert result["blueprint commands"] == {}
    assert result["deferred unchanged"]  # registering changes no blueprint
    # The positive control: create_app registered each kind of thing, through register(app).
    after = result["after"]
    assert {"ags.score", "email", "canvas.rubric_assessment", "moodle.grade_competency"} <= set(
        after["senders"]
    )
    assert after["registrationless"] == ["email"]
    assert {"evidence.supervisor_sync", "workspace.reminders", "workspace.message_emails"} <= set(
        after["tick hooks"]
    )
    assert {
        "accreditation.exports",
        "internships.supervisor_links",
        "lti.rosters",
        "workspace.messages",
    } <= set(after["erasure hooks"])
    assert {"accreditation.exports", "internships.uploads", "workspace.messages"} <= set(
        after["file rules"]
    )
    assert {"credentials", "exports", "imports"} <= set(after["task kinds"])
    assert "credentials.issue" in after["tick hooks"]  # credentials issuance's
    assert "credentials.issued" in after["erasure hooks"]
    assert result["panels"] > 10
    assert {
        "attainment",
        "credit",
        "evidence",
        "frameworks",
        "internships",
        "jobs",
        "keys",
        "lti",
        "privacy",
        "profile",
        "registration",
        "sandbox",
        "tasks",
        # the core groups' first names, kept for scripts (test_cli_errors)
        "grades",
        "maintenance",
        "platform",
        "students",
    } <= set(result["app commands"])


def test_the_sandbox_is_registered_only_when_enabled(app):
    from lti_tool import create_app

    off = create_app("config.testing", SQLALCHEMY_DATABASE_URI="sqlite://", SANDBOX_ENABLED=False)
    assert "sandbox" not in off.blueprints
    assert "sandbox" not in off.cli.commands
    assert "sandbox" in app.blueprints


# Areas whose URLs are not under their name: the ops routes answer at the root (monitoring asks
# for /healthz, /readyz, /metrics there); a *_moved blueprint keeps an old address answering.
ROOT_AREAS = {"ops"}


def test_one_name_per_area(app):
    """URL prefix = blueprint = package (module) = template folder, for every area."""
    root = Path(__file__).resolve().parents[2]
    for name, bp in app.blueprints.items():
        if name in ROOT_AREAS or name.endswith("_moved"):
            continue
        path = name.replace(".", "/")
        prefixes = {
            rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(name + ".")
        }
        outside = {rule for rule in prefixes if not rule.startswith(f"/{path}")}
        if name == "supervisor":  # links already emailed: /s/<rest> answers 308 (test_supervisor)
            outside = {rule for rule in outside if not rule.startswith("/s/")}
        assert outside == set(), f"{name}: routes outside /{path}"
        assert name.rsplit(".", 1)[-1] in bp.import_name.split("."), (name, bp.import_name)
        assert (root / "templates" / path).is_dir(), f"{name}: no templates/{path}/"


def test_the_domains_models_cover_every_table():
    """Every mapped class lives in a module of ``lti_tool.domains``' lists, and importing those
    modules alone (what Alembic and the privacy schema do) yields every table that importing
    every application module does."""
    result = _run(
        IMPORT_EVERYTHING
        + """
import json
from lti_tool.domains import load_models, model_modules
from lti_tool.extensions import db
load_models()
listed = sorted(db.metadata.tables)
for name in application_modules():
    importlib.import_module(name)
mapped = {mapper.class_.__module__ for mapper in db.Model.registry.mappers}
print(json.dumps({
    "listed": listed,
    "all": sorted(db.metadata.tables),
    "unlisted": sorted(mapped - set(model_modules())),
    "modules": list(model_modules()),
}))
"""
    )
    assert result["unlisted"] == []
    assert result["listed"] == result["all"]
    assert "lti_tool.registration.models" in result["modules"]
    assert len(result["modules"]) == len(set(result["modules"]))


def test_the_privacy_schema_and_alembic_read_the_domains():
    from lti_tool.domains import model_modules
    from lti_tool.privacy import schema

    assert schema.model_modules() == model_modules()
    env = (ROOT / "migrations" / "env.py").read_text()
    assert "from lti_tool.domains import load_models" in env
    assert "MODEL_MODULES" not in env


# --- the import graph ---------------------------------------------------------------------------


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported (not under TYPE_CHECKING, not inside a
    function)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if _is_type_checking(node):
            continue
        inner = node.body if isinstance(node, ast.If | ast.Try) else [node]
        if isinstance(node, ast.If):
            inner = [*node.body, *node.orelse]
        found += [n for n in inner if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in _top_level_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name in modules}
                continue
            base = node.module or ""
            if node.level:
                prefix = here[: len(here) - (node.level - 1)]
                base = ".".join([*prefix, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    targets.add(full)
                elif base in modules:
                    targets.add(base)
        graph[name] = targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = _import_graph()
    assert len(graph) > 100
    assert graph["accreditation.evidence.views"] >= {"accreditation.frameworks.views"}
    assert _cycles(graph) == []


def test_no_imports_below_the_code():
    late = []
    for name, (path, _) in sorted(_modules().items()):
        code_started = False
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                code_started = True
            elif isinstance(node, ast.Import | ast.ImportFrom) and code_started:
                late.append(f"{name}:{node.lineno}")
    assert late == []


# Which layer may import which (any import, inside functions too): the core imports no domain
# (only the connectors' errors, to show them as its own), a domain imports the core and the
# domains below it, and connectors import nothing from the app.
MAY_IMPORT = {
    "lti_tool": {"connectors.errors"},
    "connectors": set(),
    "sandbox": {"lti_tool"},
    "internships": {"lti_tool", "connectors", "sandbox"},  # the demo seeds the sandbox's people
    "credit": {"lti_tool", "connectors", "internships"},
    "accreditation": {"lti_tool", "connectors", "internships", "credit"},
}


def _layer(module: str) -> str:
    return "sandbox" if module.startswith("lti_tool.sandbox") else module.split(".")[0]


def test_layers_import_only_downwards():
    modules = _modules()
    wrong = []
    for name, (path, is_package) in sorted(modules.items()):
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    prefix = here[: len(here) - (node.level - 1)]
                    base = ".".join([*prefix, *([base] if base else [])])
                targets = [base]
            else:
                continue
            for target in targets:
                if target.split(".")[0] not in PACKAGES or _layer(target) == _layer(name):
                    continue
                allowed = MAY_IMPORT[_layer(name)]
                if not any(
                    target == a or target.startswith(a + ".") or _layer(target) == a
                    for a in allowed
                ):
                    wrong.append(f"{name}:{node.lineno} imports {target}")
    assert wrong == []
