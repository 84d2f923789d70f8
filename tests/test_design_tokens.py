"""The design tokens of static/css/app.css meet WCAG 2.1 AA contrast (issue 18).

The stylesheet documents its colour pairs in its header comment, one a line:
``@contrast <foreground token> <background token> <minimum ratio>``. Each pair is checked here
with the WCAG 2.x relative-luminance formula: 4.5:1 for text, 3:1 for user-interface parts
(input borders, focus ring, the progress track). The list cannot quietly shrink: the pairs
every page relies on are required below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"

REQUIRED = {
    ("--color-text", "--color-surface", 4.5),
    ("--color-text", "--color-page", 4.5),
    ("--color-text-muted", "--color-surface", 4.5),
    ("--color-text-muted", "--color-page", 4.5),
    ("--color-link", "--color-surface", 4.5),
    ("--color-link", "--color-page", 4.5),
    ("--color-on-brand", "--color-brand", 4.5),
    ("--color-on-brand", "--color-danger", 4.5),
    ("--color-success-text", "--color-success-bg", 4.5),
    ("--color-info-text", "--color-info-bg", 4.5),
    ("--color-warning-text", "--color-warning-bg", 4.5),
    ("--color-danger-text", "--color-danger-bg", 4.5),
    ("--color-neutral-text", "--color-neutral-bg", 4.5),
    ("--color-border-strong", "--color-surface", 3.0),
    ("--color-focus", "--color-surface", 3.0),
    ("--color-focus-inner", "--color-brand", 3.0),
}


def _text() -> str:
    return CSS.read_text(encoding="utf-8")


def root_tokens(css: str) -> dict[str, str]:
    """The custom properties declared in the stylesheet's first ``:root`` block."""
    block = re.search(r":root\s*\{(.*?)\}", css, re.S)
    assert block, "app.css has no :root block of design tokens"
    body = re.sub(r"/\*.*?\*/", "", block.group(1), flags=re.S)
    return {name: value.strip() for name, value in re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", body)}


def documented_pairs(css: str) -> list[tuple[str, str, float]]:
    found = re.findall(r"@contrast\s+(--[\w-]+)\s+(--[\w-]+)\s+([\d.]+)", css)
    return [(fg, bg, float(ratio)) for fg, bg, ratio in found]


def hex_colour(tokens: dict[str, str], name: str) -> str:
    value = tokens[name]
    seen = {name}
    while value.startswith("var("):  # a token may name another
        ref = value[4:-1].strip()
        assert ref not in seen, f"{name}: circular var()"
        seen.add(ref)
        value = tokens[ref]
    is_hex = re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", value)
    assert is_hex, f"{name}: {value} is not a hex colour"
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value.lower()


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_tokens_come_first_and_cover_the_scales() -> None:
    css = _text()
    tokens = root_tokens(css)
    first_rule = re.sub(r"/\*.*?\*/", "", css, flags=re.S).lstrip()
    assert first_rule.startswith(":root"), "the design tokens are the stylesheet's first rule"
    for prefix in ("--font-size-", "--space-", "--color-", "--radius", "--shadow-"):
        assert any(name.startswith(prefix) for name in tokens), f"no {prefix}* token"
    assert tokens["--color-brand"].lower() == "#0374b5"
    assert tokens["--color-text"].lower() == "#2d3b45"
    assert tokens["--color-border"].lower() == "#c7cdd1"
    assert "--focus-outline" in tokens and "--focus-ring" in tokens


def test_every_required_pair_is_documented() -> None:
    pairs = set(documented_pairs(_text()))
    missing = REQUIRED - pairs
    assert not missing, f"pairs no longer documented in app.css: {sorted(missing)}"


@pytest.mark.parametrize(("fg", "bg", "minimum"), documented_pairs(_text()))
def test_documented_pair_meets_its_ratio(fg: str, bg: str, minimum: float) -> None:
    assert minimum in (3.0, 4.5), f"{fg} on {bg}: AA asks 4.5 (text) or 3 (UI), not {minimum}"
    tokens = root_tokens(_text())
    ratio = contrast(hex_colour(tokens, fg), hex_colour(tokens, bg))
    assert ratio >= minimum, f"{fg} on {bg}: {ratio:.2f}:1 < {minimum}:1"


def test_every_colour_a_rule_names_is_a_token() -> None:
    """Rules use var(--color-…) names that exist, so a typo cannot fall back to black."""
    css = _text()
    tokens = root_tokens(css)
    used = set(re.findall(r"var\((--[\w-]+)\)", css))
    assert not used - set(tokens), f"undefined tokens: {sorted(used - set(tokens))}"
