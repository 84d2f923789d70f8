"""Run every check `make test` promises, then say what ran and what was skipped and why.

Steps: ruff (lint, with the security rules, and format), mypy, pip-audit, pytest on SQLite
(with the browser tests when Debian's chromium and axe-core are there, and tests/test_wheel.py:
build the wheel, install it into a fresh virtualenv, migrate, seed and serve from it), pytest on
PostgreSQL when a server answers. With CI=true nothing may be skipped: a missing service
(PostgreSQL, Redis, clamd, the vulnerability service) or browser, or any skipped test, fails the
run.
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
CLAMD_HOST, CLAMD_PORT = "127.0.0.1", 3310  # .ci/clamd.sh; tests/internships/work/test_scanning
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def redis_db(number: int) -> str:
    return f"redis://127.0.0.1:6379/{number}"


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


def pytest_command(report: Path, args: list[str]) -> list[str]:
    # A hung test (a browser that never answers) fails after 5 minutes instead of the run.
    command = [str(BIN / "python"), "-m", "pytest", "--timeout=300", f"--junitxml={report}"]
    return command + args


# Property tests draw the same examples every run (tests/property/conftest.py), whatever the
# caller's environment says: `make fuzz` is where fresh randomness runs.
PYTEST_ENV = {"HYPOTHESIS_PROFILE": "deterministic"}


def record(name: str, code: int, counts: Counts) -> None:
    """Count one pytest run's results into the summary (its step is the last one)."""
    total.add(counts)
    step = steps[-1]
    step.detail = f"{counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped"
    if code == 5:
        step.ok, step.detail = False, "pytest collected no tests (exit 5)"
    elif counts.skipped and CI:
        step.ok, step.detail = False, step.detail + " (CI=true forbids skips)"
    elif counts.skipped:
        skips.append(f"{name}: {counts.skipped} test(s) skipped, reasons above (pytest -rs)")


def pytest(name: str, args: list[str], env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        code = run(name, pytest_command(report, args), {**env, **PYTEST_ENV})
        record(name, code, read_junit(report))


def pytest_side_by_side(runs: list[tuple[str, list[str], dict[str, str]]]) -> None:
    """Run the suites at once, one process each (the machine has two cores and each suite uses
    about one), each writing its output to a file that is printed when it ends. The suites
    share nothing: each has its own database, temporary folders, ports and Redis database."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        running = []
        for index, (name, args, env) in enumerate(runs):
            report, log = Path(tmp) / f"junit-{index}.xml", Path(tmp) / f"log-{index}.txt"
            command = pytest_command(report, args)
            banner(f"{name}: started (its output follows when it ends)")
            print("$ " + " ".join(command), flush=True)
            out = log.open("wb")
            process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env={**os.environ, **env, **PYTEST_ENV},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            running.append((name, process, report, log, out))
        for name, process, report, log, out in running:
            code = process.wait()
            out.close()
            banner(f"{name} (exit {code})")
            sys.stdout.write(log.read_text(errors="replace"))
            sys.stdout.flush()
            steps.append(Step(name, code == 0, time.monotonic() - started, f"exit {code}"))
            record(name, code, read_junit(report))


def read_junit(report: Path) -> Counts:
    if not report.exists():
        return Counts()
    counts = Counts()
    for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts.add(Counts(tests - skipped - failed, failed, skipped))
    return counts


def pypi_project_vulnerabilities(name: str, version: str) -> tuple[str, list[str]]:
    """Ask PyPI's project JSON, which lists the vulnerabilities of the project's latest
    release: ("audited", ids) when ``version`` is that release, ("older", []) when it is not
    (nothing to learn there), ("unreachable", []) when PyPI did not answer."""
    import json
    import urllib.request

    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            data = json.load(resp)
    except (OSError, ValueError):
        return "unreachable", []
    if "vulnerabilities" not in data:
        return "unreachable", []
    if data.get("info", {}).get("version") != version:
        return "older", []
    return "audited", [v.get("id", "?") for v in data["vulnerabilities"] if not v.get("withdrawn")]


def _audit_results(deps: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """(vulnerable, unreachable, older) from pip-audit's report, the packages it skipped looked
    up in PyPI's project JSON."""
    vulnerable = [
        f"{d['name']} {d['version']}: {[v['id'] for v in d['vulns']]}"
        for d in deps
        if d.get("vulns")
    ]
    unreachable: list[str] = []
    older: list[str] = []
    for dep in deps:
        if "skip_reason" not in dep or "version" not in dep:
            continue
        status, found = pypi_project_vulnerabilities(dep["name"], dep["version"])
        label = f"{dep['name']} {dep['version']}"
        if status == "unreachable":
            unreachable.append(label)
        elif status == "older":
            older.append(label)
        elif found:
            vulnerable.append(f"{label}: {found}")
    return vulnerable, unreachable, older


def pip_audit() -> None:
    """pip-audit of the installed dependencies against PyPI's vulnerability data (from OSV).
    Where pip-audit cannot look a package up (PyPI's per-release JSON API does not answer
    everywhere), the step asks PyPI's project JSON, which covers the latest release. A known
    vulnerability fails the step; so does, under CI=true, a vulnerability service that did not
    answer. An installed version older than the latest release that pip-audit could not check
    is listed as not audited."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        cmd = [str(BIN / "pip-audit"), "--skip-editable", "--progress-spinner", "off"]
        cmd += ["--format", "json", "--output", str(report)]
        code = run("pip-audit", cmd)
        step = steps[-1]
        try:
            deps = json.loads(report.read_text())["dependencies"]
        except (OSError, ValueError, KeyError) as exc:
            step.ok, step.detail = False, f"pip-audit gave no report (exit {code}): {exc}"
            if not CI:
                step.ok = True
                skips.append(f"pip-audit: no report (exit {code}): {exc}")
            return
    vulnerable, unreachable, older = _audit_results(deps)
    for line in vulnerable:
        print(f"  VULNERABLE {line}")
    audited = len(deps) - len(unreachable) - len(older)
    step.detail = f"{audited} of {len(deps)} packages audited, {len(vulnerable)} vulnerable"
    step.ok = not vulnerable
    if older:
        why = (
            f"not audited, older than their latest release and unknown to pip-audit's service "
            f"here: {', '.join(older)} (upgrade them, or run pip-audit where OSV answers)"
        )
        print(f"  {why}")
        skips.append(f"pip-audit: {why}")
    if unreachable:
        why = (
            f"the vulnerability service did not answer for {len(unreachable)} package(s) "
            f"({', '.join(unreachable[:5])}{', …' if len(unreachable) > 5 else ''})"
        )
        print(f"  {why}")
        skips.append(f"pip-audit: {why}")
        if CI:
            step.ok, step.detail = False, step.detail + " (CI=true: the service must answer)"


def main() -> int:
    started = time.monotonic()
    bin_ = str(BIN)
    run("ruff check", [f"{bin_}/ruff", "check", "."])
    run("ruff format", [f"{bin_}/ruff", "format", "--check", "."])
    run("mypy", [f"{bin_}/mypy"])
    pip_audit()
    if not answers(CLAMD_HOST, CLAMD_PORT):
        skip(
            "ClamAV upload scanning tests", f"no clamd at {CLAMD_HOST}:{CLAMD_PORT} (.ci/clamd.sh)"
        )

    if CHROMIUM.exists():
        browser_missing = ensure_axe()
    else:
        browser_missing = f"{CHROMIUM} not found (apt-get install chromium)"
    sqlite_args = ["-rs"]
    if browser_missing:
        skip("browser tests", browser_missing)
        sqlite_args += ["-m", "not browser"]
    # Each suite its own Redis database (tests/lti_tool/test_redis_state.py, test_rate_limits):
    # the suites run at once and one empties its database after a test.
    suites = [
        ("pytest (SQLite)", sqlite_args, {"TEST_DATABASE_URL": "", "TEST_REDIS_URL": redis_db(15)})
    ]
    if answers(PG_HOST, PG_PORT):
        # The wheel test (build, install into a fresh venv, run) runs with SQLite only.
        pg_args = ["-rs", "-m", "not browser and not wheel"]
        suites.append(
            (
                "pytest (PostgreSQL)",
                pg_args,
                {"TEST_DATABASE_URL": PG_URL, "TEST_REDIS_URL": redis_db(14)},
            )
        )
    else:
        skip("PostgreSQL", f"no server answered at {PG_HOST}:{PG_PORT}")
    if os.environ.get("TESTS_ONE_AT_A_TIME"):  # the suites one after the other, output live
        for name, args, env in suites:
            pytest(name, args, env)
    else:
        pytest_side_by_side(suites)

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
