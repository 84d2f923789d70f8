"""Run every check `make test` promises, then say what ran and what was skipped and why.

Steps: ruff (lint and format), mypy, pytest on SQLite (with the browser tests when Debian's
chromium and axe-core are there), pytest on PostgreSQL when a server answers. With CI=true
nothing may be skipped: a missing service or browser, or any skipped test, fails the run.
Run from the repository root with the project's virtualenv: `.venv/bin/python scripts/run_tests.py`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # parses only the junit file pytest just wrote
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: Counts) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped


steps: list[Step] = []
skips: list[str] = []  # what the run left out, and why
total = Counts()


def banner(text: str) -> None:
    print(f"\n===== {text} =====", flush=True)


def run(name: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
    banner(name)
    print("$ " + " ".join(cmd), flush=True)
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT, env={**os.environ, **(env or {})})  # noqa: S603
    steps.append(Step(name, code == 0, time.monotonic() - started, f"exit {code}"))
    return code


def skip(what: str, why: str) -> None:
    """Record a left-out part; under CI that is a failure."""
    skips.append(f"{what}: skipped, {why}")
    if CI:
        steps.append(Step(what, False, 0.0, f"CI=true forbids skipping: {why}"))


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_axe() -> str | None:
    """Install axe-core from the npm lock file if needed; return why it is missing, or None."""
    lock, installed = ROOT / "package-lock.json", ROOT / "node_modules" / ".package-lock.json"
    # npm records what it installed; a newer lock file means axe-core was bumped since.
    stale = (
        installed.exists() and lock.exists() and lock.stat().st_mtime > installed.stat().st_mtime
    )
    if AXE.exists() and not stale:
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm not found (needed to install axe-core)"
    command = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"]
    if run("npm: axe-core", command) != 0 or not AXE.exists():
        return "npm could not install axe-core"
    return None


def pytest(name: str, args: list[str], env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        # A hung test (a browser that never answers) fails after 5 minutes instead of the run.
        command = [str(BIN / "python"), "-m", "pytest", "--timeout=300", f"--junitxml={report}"]
        command += args
        code = run(name, command, env)
        counts = read_junit(report)
    total.add(counts)
    step = steps[-1]
    step.detail = f"{counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped"
    if code == 5:
        step.ok, step.detail = False, "pytest collected no tests (exit 5)"
    elif counts.skipped and CI:
        step.ok, step.detail = False, step.detail + " (CI=true forbids skips)"
    elif counts.skipped:
        skips.append(f"{name}: {counts.skipped} test(s) skipped, reasons above (pytest -rs)")


def read_junit(report: Path) -> Counts:
    if not report.exists():
        return Counts()
    counts = Counts()
    for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts.add(Counts(tests - skipped - failed, failed, skipped))
    return counts


def main() -> int:
    started = time.monotonic()
    bin_ = str(BIN)
    run("ruff check", [f"{bin_}/ruff", "check", "."])
    run("ruff format", [f"{bin_}/ruff", "format", "--check", "."])
    run("mypy", [f"{bin_}/mypy"])

    if CHROMIUM.exists():
        browser_missing = ensure_axe()
    else:
        browser_missing = f"{CHROMIUM} not found (apt-get install chromium)"
    sqlite_args = ["-rs"]
    if browser_missing:
        skip("browser tests", browser_missing)
        sqlite_args += ["-m", "not browser"]
    pytest("pytest (SQLite)", sqlite_args, {"TEST_DATABASE_URL": ""})

    if answers(PG_HOST, PG_PORT):
        pytest("pytest (PostgreSQL)", ["-rs", "-m", "not browser"], {"TEST_DATABASE_URL": PG_URL})
    else:
        skip("PostgreSQL", f"no server answered at {PG_HOST}:{PG_PORT}")

    banner("summary" + (" (CI=true: nothing may be skipped)" if CI else ""))
    for step in steps:
        mark = "ok  " if step.ok else "FAIL"
        print(f"  {mark} {step.name:<22} {step.seconds:6.1f}s  {step.detail}")
    for line in skips:
        print(f"  skip {line}")
    failed = [step.name for step in steps if not step.ok]
    verdict = "FAILED: " + ", ".join(failed) if failed else "all checks passed"
    print(f"  total time {time.monotonic() - started:.1f}s; {verdict}")
    print(f"tests: {total.passed} passed, {total.failed} failed, {total.skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
