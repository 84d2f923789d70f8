"""The wheel is a complete, runnable install: `python -m build --wheel`, then `pip install` into
a fresh virtualenv, and from an empty folder outside the checkout the installed tool migrates,
seeds the sandbox and serves its pages, reading templates, static files and migrations from
site-packages, never from the source tree. The commands of the systemd units in deploy/ start
from that install (gunicorn serves, the Celery worker and beat come up).

One module, marked ``wheel``: the build and the install (a minute or two, pip's cache helps)
happen once for every test here. `make test` runs it on SQLite; never skipped under CI=true.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The install layout the units assume (docs/DEPLOYMENT.md), mapped onto the test's folders.
UNIT_VENV, UNIT_ETC = "/opt/career-credit/venv", "/etc/career-credit"
UNIT_STATE, UNIT_LOGS = "/var/lib/career-credit", "/var/log/career-credit"


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(  # noqa: S603 - our own commands
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    code = result.returncode
    assert code == 0, f"{shlex.join(cmd)} exited {code}:\n{output[-4000:]}"
    return output


def _clean_env() -> dict[str, str]:
    """The environment without anything that would point the install at the checkout or at
    the test suite's settings (PYTHONPATH, coverage hooks, CAREER_CREDIT_*, the database)."""
    drop = ("CAREER_CREDIT_", "CELERY_", "COVERAGE_", "PYTHON", "VIRTUAL_ENV", "FLASK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for key in ("DATABASE_URL", "SECRET_KEY", "TEST_DATABASE_URL"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the wheel from a copy of the checkout's files (as a fresh clone has them) and
    install it into a new virtualenv; return the folders."""
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv, run = base / "src", base / "dist", base / "venv", base / "run"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    env = _clean_env()
    log = _run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)],
        cwd=base, env=env,
    )  # fmt: skip
    (base / "build.log").write_text(log)
    wheels = list(dist.glob("career_credit-*.whl"))
    assert len(wheels) == 1, wheels
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])],
         cwd=base, env=env, timeout=900)  # fmt: skip
    run.mkdir()
    return {"base": base, "wheel": wheels[0], "venv": venv, "run": run, "log": base / "build.log"}


def _dev_env(install: dict[str, Path]) -> dict[str, str]:
    # No CAREER_CREDIT_INSTANCE: the default instance folder is ./instance in the empty folder.
    env = _clean_env()
    env.update(CAREER_CREDIT_ENV="development", CAREER_CREDIT_JOB_RUNNER="off")
    env["PATH"] = f"{install['venv'] / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_build_is_clean_and_the_wheel_carries_what_the_app_reads(install):
    log = install["log"].read_text()
    warnings = [
        line
        for line in log.splitlines()
        # pip's own notes about this machine's package indexes are not the build's
        if re.search(r"warn", line, re.IGNORECASE) and "Location 'file:" not in line
    ]
    assert warnings == [], "\n".join(warnings)
    names = zipfile.ZipFile(install["wheel"]).namelist()
    for needed in (
        "lti_tool/templates/base.html",
        "lti_tool/templates/sandbox/home.html",
        "lti_tool/static/css/app.css",
        "lti_tool/migrations/env.py",
        "lti_tool/migrations/alembic.ini",
        "lti_tool/migrations/script.py.mako",
        "internships/data/skills.csv",
        "config/default.py",
        "config/gunicorn.conf.py",
    ):
        assert needed in names, needed
    assert any(n.startswith("lti_tool/migrations/versions/") for n in names)
    top = {n.split("/")[0] for n in names if "/" in n and ".dist-info/" not in n}
    assert top == {"lti_tool", "internships", "credit", "accreditation", "connectors", "config"}
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_migrates_seeds_and_serves_from_the_install_outside_the_checkout(install):
    venv, run, env = install["venv"], install["run"], _dev_env(install)
    flask = str(venv / "bin" / "flask")
    _run([flask, "--app", "lti_tool", "db", "upgrade"], cwd=run, env=env)
    _run([flask, "--app", "lti_tool", "sandbox", "seed"], cwd=run, env=env)
    assert (run / "instance" / "career_credit.db").is_file()

    probe = (
        "import json, lti_tool, config\n"
        "from lti_tool.privacy.schema import model_modules\n"
        "app = lti_tool.create_app()\n"
        "print(json.dumps({'package': lti_tool.__file__, 'config': config.__file__,\n"
        "  'templates': app.template_folder, 'static': app.static_folder,\n"
        "  'migrations': app.extensions['migrate'].directory, 'instance': app.instance_path,\n"
        "  'models': len(model_modules())}))\n"
    )
    out = _run([str(venv / "bin" / "python"), "-c", probe], cwd=run, env=env)
    paths = json.loads(out.strip().splitlines()[-1])
    site = next((venv / "lib").glob("python3*/site-packages")).resolve()
    for key in ("package", "config", "templates", "static", "migrations"):
        path = Path(paths[key]).resolve()
        assert path.is_relative_to(site), (key, path)
        assert not path.is_relative_to(ROOT), (key, path)
    assert Path(paths["instance"]) == (run / "instance").resolve()
    assert paths["models"] > 5  # the model modules of lti_tool.domains, as installed

    # The web unit's own command line, run from the install.
    port = _free_port()
    command = _unit_command("career-credit-web.service", install)
    assert Path(command[0]) == venv / "bin" / "gunicorn"
    _run([*command[:3], "--check-config", command[-1]], cwd=run, env=env)
    web_env = {**env, "CAREER_CREDIT_BIND": f"127.0.0.1:{port}", "CAREER_CREDIT_WORKERS": "1"}
    with _started(command, run, web_env, "web") as server:
        _wait_for(lambda: _get(port, "/healthz")[0] == 200, server, "gunicorn /healthz")
        status, body = _get(port, "/sandbox")
        assert status == 200
        assert "<title>Sandbox LMS" in body
        assert "BUS 390 Internship Seminar" in body  # seeded into the database it reads
        status, css = _get(port, "/static/css/app.css")
        assert status == 200 and css.strip()
    assert (install["base"] / "logs" / "access.log").read_text().count("GET /sandbox") == 1


def test_the_worker_and_beat_units_start_from_the_install(install):
    if not _answers("127.0.0.1", 6379):
        if CI:
            pytest.fail("CI=true: Redis must answer at 127.0.0.1:6379 (.ci/run starts it)")
        pytest.skip("no Redis at 127.0.0.1:6379 for the Celery broker")
    venv, run = install["venv"], install["run"]
    env = _dev_env(install)
    # A queue of its own, so this worker takes no other test's messages.
    env.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/1", CELERY_QUEUE=f"wheel-{os.getpid()}")
    env["CAREER_CREDIT_JOB_RUNNER"] = "celery"
    worker = _unit_command("career-credit-worker.service", install)
    beat = _unit_command("career-credit-beat.service", install)
    assert Path(worker[0]) == Path(beat[0]) == venv / "bin" / "celery"
    with _started(worker, run, env, "worker") as proc:
        _wait_for(lambda: " ready." in _log(install, "worker"), proc, "celery worker ready")
    with _started(beat, run, env, "beat") as proc:
        _wait_for(lambda: "beat: Starting" in _log(install, "beat"), proc, "celery beat start")
    assert list((install["base"] / "state").glob("celerybeat-schedule*"))


# helpers


def _unit_command(unit: str, install: dict[str, Path]) -> list[str]:
    """The unit's ExecStart, with the install's paths replaced by the test's folders."""
    text = (DEPLOY / unit).read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    base = install["base"]
    etc = base / "etc"
    if not etc.exists():
        etc.mkdir()
        shutil.copy2(DEPLOY / "gunicorn.conf.py", etc / "gunicorn.conf.py")
        (base / "state").mkdir()
        (base / "logs").mkdir()
    replaced = (
        line.removeprefix("ExecStart=")
        .replace(UNIT_VENV, str(install["venv"]))
        .replace(UNIT_ETC, str(etc))
        .replace(UNIT_STATE, str(base / "state"))
        .replace(UNIT_LOGS, str(base / "logs"))
    )
    return shlex.split(replaced)


class _started:
    """Run a long-lived command, its output in <base>/<name>.log; stop it on the way out."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str], name: str) -> None:
        self.cmd, self.cwd, self.env = cmd, cwd, env
        self.log = cwd.parent / f"{name}.log"

    def __enter__(self) -> subprocess.Popen[bytes]:
        self.out = self.log.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own command
            self.cmd, cwd=self.cwd, env=self.env, stdout=self.out, stderr=subprocess.STDOUT
        )
        return self.proc

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def _log(install: dict[str, Path], name: str) -> str:
    return (install["base"] / f"{name}.log").read_text(errors="replace")


def _wait_for(ready, proc: subprocess.Popen[bytes], what: str, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what}: the process exited ({proc.returncode})")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)  # polling interval, bounded by the deadline
    pytest.fail(f"{what}: not within {deadline_s:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()
