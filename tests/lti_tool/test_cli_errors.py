"""Every CLI command answers a person's mistake with one line (``Error: ...``) on standard
error and a non-zero exit, never a traceback; a bug prints one line with a reference and its
traceback goes to the CLI error log. Through the app's CLI runner and through the real
``flask`` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from internships.services.imports import MAX_IMPORT_BYTES
from lti_tool.cli import guard
from lti_tool.extensions import db
from lti_tool.models import Tenant
from tests.internships.test_imports import posting

REPO = Path(__file__).resolve().parents[2]


def one_error_line(result) -> str:
    """The single line a failed command printed on standard error."""
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "broken.json": b"{not json",
        "good.json": json.dumps(posting("CLI-1")).encode(),
        "latin1.csv": "lms_user_id,program\nu1,G\xe9ologie\n".encode("latin-1"),
        "header.csv": b"name,pay\nx,1\n",
    }
    paths = {}
    for name, content in made.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(content)
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: the size is checked before anything is read
        handle.truncate(MAX_IMPORT_BYTES + 1)
    paths["big.json"] = big
    return paths


@pytest.fixture
def cli_tenant(app) -> str:
    with app.app_context():
        name = "CLI errors school"
        if db.session.query(Tenant).filter_by(name=name).first() is None:
            db.session.add(Tenant(name=name, settings={}))
            db.session.commit()
    return name


def test_a_good_import_is_the_positive_control(runner, files, cli_tenant):
    result = runner.invoke(
        args=["internships", "import", str(files["good.json"]), "--tenant", cli_tenant, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved: 1 created" in result.output


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["internships", "import", "@broken.json", "--tenant", "@tenant"],
         "Error: The file is not valid JSON (line 1, column 2", 1),
        (["internships", "import", "@good.json", "--tenant", "nobody"],
         "Error: --tenant: no tenant 'nobody'", 1),
        (["internships", "import", "@big.json", "--tenant", "@tenant"],
         "Error: The file is larger than 5 MB, the limit for one import", 1),
        (["internships", "import", "@header.csv", "--tenant", "@tenant"],
         "Error: The CSV header lacks external_id, title.", 1),
        (["internships", "import", "/no/such/file.json", "--tenant", "@tenant"],
         "Error: Invalid value for 'PATH': File '/no/such/file.json' does not exist.", 2),
        (["internships", "import", "@good.json", "--tenant", "@tenant", "--progress-every", "x"],
         "Error: Invalid value for '--progress-every': 'x' is not a valid integer.", 2),
        (["profile", "import", "@latin1.csv", "--tenant", "@tenant"],
         "Error: The file is not UTF-8 text (byte", 1),
        (["frameworks", "import", "x.json", "--tenant", "@tenant", "--kind", "bogus"],
         "Error: Invalid value for '--kind'", 2),
        (["registration", "list", "--nope"], "Error: No such option '--nope'.", 2),
    ],
)  # fmt: skip
def test_a_persons_mistake_is_one_line_and_a_non_zero_exit(
    runner, files, cli_tenant, args, expected, code
):
    named = {"tenant": cli_tenant, **{name: str(path) for name, path in files.items()}}
    filled = [named[a[1:]] if a.startswith("@") else a for a in args]
    result = runner.invoke(args=filled)
    line = one_error_line(result)
    assert line.startswith(expected), line
    assert result.exit_code == code


def test_a_bug_is_one_line_with_a_reference_and_the_traceback_goes_to_the_log(app):
    group = guard(click.Group("tools"))

    @group.command("explode")  # added after guarding: groups guard what they hand out
    def explode() -> None:
        raise RuntimeError("internal state went wrong")

    @group.command("parse")
    def parse() -> None:
        raise ValueError("'abc' is not a number of hours")

    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    mistake = runner.invoke(group, ["parse"], obj=info)
    assert one_error_line(mistake) == "Error: 'abc' is not a number of hours"
    result = runner.invoke(group, ["explode"], obj=info)
    line = one_error_line(result)
    match = re.fullmatch(
        r"Error: The command stopped on an unexpected error: a bug in Career Credit, not a "
        r"mistake of yours\. Reference ([0-9a-f]{12}); the details are in (.+)\.",
        line,
    )
    assert match, line
    assert "internal state went wrong" not in result.output
    log = Path(match.group(2))
    assert log == Path(app.instance_path) / "logs" / "cli-errors.log"
    entry = log.read_text().split(f"reference {match.group(1)}\n", 1)[1]
    assert "Traceback" in entry and "RuntimeError: internal state went wrong" in entry


def _flask(args: list[str], instance: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CAREER_CREDIT_ENV": "development",
        "CAREER_CREDIT_INSTANCE": str(instance),
    }
    for name in ("DATABASE_URL", "FLASK_APP"):
        env.pop(name, None)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "lti_tool", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a subprocess
def test_the_real_flask_entry_point_prints_no_traceback(tmp_path, files):
    instance = tmp_path / "instance"
    broken = _flask(["internships", "import", str(files["broken.json"]), "--tenant", "x"], instance)
    assert broken.returncode == 1, broken.stderr
    assert "Traceback" not in broken.stderr + broken.stdout
    assert broken.stderr.strip().splitlines() == [
        "Error: The file is not valid JSON (line 1, column 2: Expecting property name enclosed "
        "in double quotes)."
    ]
    # A database without tables (never upgraded): one line, and the traceback in the log.
    empty = _flask(["internships", "import", str(files["good.json"]), "--tenant", "x"], instance)
    assert empty.returncode == 1 and "Traceback" not in empty.stderr + empty.stdout
    [line] = empty.stderr.strip().splitlines()
    assert line.startswith("Error: The database refused the command (OperationalError)"), line
    assert "flask --app lti_tool db upgrade" in line
    log = (instance / "logs" / "cli-errors.log").read_text()
    assert "Traceback" in log and "SQL parameters hidden" in log


def test_the_core_groups_first_names_run_the_same_commands(app, runner):
    """Each core group is named after its area; scripts written for its first name keep working
    (the old group holds the very same commands), and ``flask --help`` says where they went."""
    groups = app.cli.commands
    renamed = {
        "platform": ("registration", "lti"),
        "students": ("privacy",),
        "maintenance": ("privacy",),
        "grades": ("jobs",),
    }
    for old, areas in renamed.items():
        for name, command in groups[old].commands.items():
            assert any(groups[area].commands.get(name) is command for area in areas), (old, name)
        assert all(f"'flask {area}'" in groups[old].help for area in areas)
    assert set(groups["platform"].commands) == {
        *groups["registration"].commands,
        *groups["lti"].commands,
    }
    assert set(groups["students"].commands) | set(groups["maintenance"].commands) == set(
        groups["privacy"].commands
    )
    old, new = (
        runner.invoke(args=["platform", "list"]),
        runner.invoke(args=["registration", "list"]),
    )
    assert old.exit_code == new.exit_code == 0 and old.output == new.output
