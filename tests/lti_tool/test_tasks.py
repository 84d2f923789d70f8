"""``flask --app lti_tool tasks``: one CLI over every kind of background task (listing and
profile imports, attainment exports), and the one progress shape their pages poll."""

from __future__ import annotations

import json
import secrets

from internships.models import ImportJob
from internships.services import jobs as job_svc
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant
from tests.internships.conftest import ACTOR
from tests.internships.test_imports import posting


def _queued_import(app) -> tuple[int, str]:
    name = f"Tasks school {secrets.token_hex(3)}"
    with app.app_context():
        tenant = Tenant(name=name, settings={})
        db.session.add(tenant)
        db.session.commit()
        job = job_svc.create_job(
            Actor(tenant.id, ACTOR), "listings", "tasks.json", json.dumps(posting(f"T-{name}"))
        )
        db.session.commit()
        return job.id, name


def test_list_names_every_kind_and_what_waits(app, runner):
    _queued_import(app)
    result = runner.invoke(args=["tasks", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0]: line for line in result.output.splitlines()}
    assert {"imports", "exports"} <= set(lines)
    waiting = int(lines["imports"].rsplit(";", 1)[1].split()[0])
    assert waiting >= 1  # the queued import waits for a runner


def test_resume_runs_one_queued_task_and_refuses_a_finished_one(app, runner):
    job_id, _ = _queued_import(app)
    result = runner.invoke(args=["tasks", "resume", "imports", str(job_id)])
    assert result.exit_code == 0, result.output
    assert f"import {job_id} (listings, tasks.json): done, 1 created" in result.output
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "done"

    again = runner.invoke(args=["tasks", "resume", "imports", str(job_id)])
    assert again.exit_code != 0
    assert "is not waiting for a runner" in again.output and "Traceback" not in again.output


def test_run_of_one_kind_runs_what_is_queued(app, runner):
    job_id, _ = _queued_import(app)
    result = runner.invoke(args=["tasks", "run", "imports"])
    assert result.exit_code == 0, result.output
    assert f"import {job_id} (listings, tasks.json): done" in result.output


def test_an_unknown_kind_is_one_line(app, runner):
    result = runner.invoke(args=["tasks", "run", "payroll"])
    assert result.exit_code != 0
    assert "unknown kind of task 'payroll'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
