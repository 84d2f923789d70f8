"""Every setting the code reads is defined, with its default, in ``config/default.py``.

The code reads settings as ``config["NAME"]`` (``current_app.config``, ``app.config`` or a local
alias of either) so a name missing from ``config/default.py`` fails loudly; no read carries
its own default (``config.get("NAME", default)``, ``config.get("NAME") or default``,
``config.setdefault``). Templates read them as ``config.NAME`` or ``config.get("NAME")``.

The settings loader (``lti_tool/settings.py``) interprets values (an unset environment means
production, a missing database means a SQLite file) and is checked for defined names only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

import config.default

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lti_tool", "internships", "credit", "accreditation", "connectors")
LOADER = ROOT / "lti_tool" / "settings.py"
# Flask's own settings (SECRET_KEY, TESTING, SERVER_NAME …) are defined by Flask itself.
DEFINED = {name for name in dir(config.default) if name.isupper()} | set(Flask.default_config)
# Jinja: config.NAME, config.get("NAME"), config["NAME"].
TEMPLATE_READ = re.compile(
    r"""\bconfig(?:\.(?!get\b)([A-Z][A-Z0-9_]*)\b|\.get\(\s*["']([A-Z0-9_]+)["']|\[\s*["']([A-Z0-9_]+)["']\s*\])"""
)


@dataclass(frozen=True)
class Read:
    where: str  # path:line
    name: str | None  # None: the key is not a literal
    inline_default: str = ""  # how the read defaults inline, if it does


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_config(node: ast.AST, aliases: set[str]) -> bool:
    """``<anything>.config`` (current_app.config, app.config, flask_app().config) or a name
    bound to one in the same module (``cfg = current_app.config``)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "config"
    return isinstance(node, ast.Name) and node.id in aliases


def _aliases(tree: ast.AST) -> set[str]:
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_config(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _key(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _read_of(node: ast.AST, aliases: set[str]) -> tuple[str | None, str] | None:
    """(key, inline default) when ``node`` reads a setting, else None."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _is_config(node.value, aliases)
    ):
        return _key(node.slice), ""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "setdefault")
        and _is_config(node.func.value, aliases)
        and node.args
    ):
        if node.func.attr == "setdefault":
            return _key(node.args[0]), "config.setdefault(...)"
        if len(node.args) > 1 or node.keywords:
            return _key(node.args[0]), "config.get(name, default)"
        return _key(node.args[0]), ""
    return None


def python_reads(path: Path) -> Iterator[Read]:
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = _aliases(tree)
    where = path.relative_to(ROOT).as_posix()
    defaulted_by_or: set[int] = set()
    for node in ast.walk(tree):
        # config.get("NAME") or <not a setting>: a default written at the read.
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            first = node.values[0]
            if _read_of(first, aliases) and not all(
                _read_of(value, aliases) for value in node.values[1:]
            ):
                defaulted_by_or.add(id(first))
    for node in ast.walk(tree):
        found = _read_of(node, aliases)
        if found is None:
            continue
        name, inline = found
        if not inline and id(node) in defaulted_by_or:
            inline = "config.get(name) or default"
        yield Read(f"{where}:{node.lineno}", name, inline)


def template_reads() -> Iterator[Read]:
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for match in TEMPLATE_READ.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            name = next(group for group in match.groups() if group)
            yield Read(f"{path.relative_to(ROOT).as_posix()}:{line}", name)


def all_reads() -> list[Read]:
    reads = [read for path in _python_files() for read in python_reads(path)]
    return reads + list(template_reads())


def test_the_scan_finds_the_reads_it_should():
    """Guards the scanner itself: known reads in each form are found."""
    found = {(read.where.split(":")[0], read.name) for read in all_reads()}
    assert ("lti_tool/lti/launch.py", "LTI_STATE_REDIS_URL") in found  # cfg = current_app.config
    assert ("lti_tool/lti/views.py", "LTI_LAUNCH_LIFETIME_S") in found  # current_app.config[...]
    assert ("templates/home/advisor.html", "SANDBOX_ENABLED") in found  # config.NAME
    assert ("templates/admin/_scanner_notice.html", "CLAMAV_HOST") in found  # config.get(...)


def test_every_setting_read_is_defined_in_config_default():
    missing = sorted(
        f"{read.where}: {read.name}"
        for read in all_reads()
        if read.name is not None and read.name not in DEFINED
    )
    assert missing == [], (
        "settings read in code but not defined (with a default and a one-line comment) in "
        "config/default.py:\n" + "\n".join(missing)
    )


def test_no_setting_is_defaulted_where_it_is_read():
    inline = sorted(
        f"{read.where}: {read.name or '<computed name>'} ({read.inline_default})"
        for read in all_reads()
        if read.inline_default and not read.where.startswith(LOADER.relative_to(ROOT).as_posix())
    )
    assert inline == [], (
        "settings defaulted where they are read: put the default in config/default.py and "
        'read config["NAME"]:\n' + "\n".join(inline)
    )


def test_config_default_defines_settings_only():
    """Upper-case names only (Flask loads nothing else), each a plain value."""
    for name in DEFINED - set(Flask.default_config):
        value = getattr(config.default, name)
        assert not callable(value), f"config/default.py: {name} is not a plain value"
