"""scripts/screenshots.py, run as people run it (a subprocess), limited to two pages in a
temporary folder: it launches through the sandbox LMS in chromium and writes real PNGs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "screenshots.py"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _needs_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true needs the browser: {CHROMIUM} not found")
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")


def test_two_pages_are_written_as_real_screenshots(tmp_path: Path) -> None:
    _needs_chromium()
    from PIL import Image

    env = {k: v for k, v in os.environ.items() if k != "CAREER_CREDIT_INSTANCE"}
    result = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(SCRIPT),
            "--out",
            str(tmp_path),
            "--pages",
            "student-home,admin-overview",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["admin-overview.png", "student-home.png"]
    for name in names:
        assert f"{tmp_path / name}" in result.stdout  # the files written are printed
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG"
            assert image.width == 1280 and image.height >= 800, image.size
            colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colors is None or len(colors) > 8, f"{name} is nearly blank"
        assert 5_000 < (tmp_path / name).stat().st_size < 600_000


def test_an_unknown_page_is_refused_with_the_known_names(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--pages", "no-such-page"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "unknown page(s): no-such-page" in result.stderr and "student-home" in result.stderr
    assert list(tmp_path.iterdir()) == []
