"""The icon sprite (static/icons.svg, built by scripts/build_icons.py) draws every icon the
templates name (issue 18): a name without a <symbol> would show nothing. The first test needs
no node_modules; when lucide-static is installed the committed sprite must be what the script
builds now (``--check``)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET  # parses our own committed file
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPRITE = ROOT / "static" / "icons.svg"
SCRIPT = ROOT / "scripts" / "build_icons.py"
SVG = "{http://www.w3.org/2000/svg}"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_icons", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _symbols() -> dict[str, ET.Element]:
    root = ET.fromstring(SPRITE.read_text(encoding="utf-8"))  # noqa: S314 - our own file
    return {s.get("id", ""): s for s in root.iter(f"{SVG}symbol")}


def test_every_icon_the_templates_use_has_a_symbol() -> None:
    build = _script()
    used = build.template_names() | build.tone_icon_names()
    assert {"circle-check", "clock", "inbox"} <= used  # the scan finds the macros' names
    missing = sorted(used - set(_symbols()))
    assert not missing, f"no <symbol> in static/icons.svg for {missing}: run build_icons.py"


def test_tone_icons_match_words() -> None:
    from lti_tool.words import TONE_ICONS

    assert set(TONE_ICONS) == {"success", "info", "warning", "danger", "neutral"}
    assert set(TONE_ICONS.values()) <= set(_symbols())


def test_symbols_are_sorted_stroked_and_licensed() -> None:
    text = SPRITE.read_text(encoding="utf-8")
    assert text.count("@license lucide-static") == 1 and "ISC" in text.splitlines()[0]
    ids = re.findall(r'<symbol id="([^"]+)"', text)
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for name, sym in _symbols().items():
        assert sym.get("viewBox") == "0 0 24 24", name
        assert sym.get("fill") == "none" and sym.get("stroke") == "currentColor", name
        assert sym.get("stroke-width") == "2", name
        assert sym.get("stroke-linecap") == sym.get("stroke-linejoin") == "round", name
        assert len(sym), f"{name} draws nothing"


def test_scan_reads_every_way_of_naming_an_icon(tmp_path: Path) -> None:
    build = _script()
    (tmp_path / "a.html").write_text(
        '{{ ui.icon("send") }} {{ icon( "mail", "Mail") }} '
        "{% call ui.empty_state('x', icon_name='briefcase') %}{% endcall %} {{ icon(name) }}"
    )
    assert build.template_names(tmp_path) == {"send", "mail", "briefcase"}


@pytest.mark.skipif(
    not (ROOT / "node_modules" / "lucide-static" / "icons").is_dir(),
    reason="node_modules/lucide-static is not installed (npm ci)",
)
def test_committed_sprite_is_up_to_date() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
