"""Who runs a task: the process's bounded worker pool (``JOB_RUNNER`` "thread" or "celery"),
restarted from the task's page when its runner died, or the CLI (``JOB_RUNNER = "off"``)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from flask import Flask, Response, current_app, jsonify

from .. import workpool
from ..extensions import db
from .lifecycle import due_ids, is_stale
from .registry import get_kind


def start(app: Flask, kind: str, task_id: int) -> Future[Any] | None:
    """Run the task on the process's bounded worker pool; None with ``JOB_RUNNER = "off"``.
    Call after the commit that created it (the runner reads it from its own session)."""
    return workpool.submit(app, get_kind(kind).run, task_id)


def resume_if_stale(kind: str, job: Any) -> Any:
    """A task's page: when its runner died (or none was started), start one here."""
    if is_stale(job):
        db.session.rollback()
        start(current_app._get_current_object(), kind, job.id)  # type: ignore[attr-defined]
    return job


def run_queued(kind: str, limit: int | None = None) -> list[Any]:
    """Run every queued (or stale) task of ``kind``, oldest first (the CLI, and
    ``JOB_RUNNER = "off"``); the tasks this runner finished."""
    task_kind = get_kind(kind)
    ids = due_ids(task_kind.model, task_kind.batch if limit is None else limit)
    done = [task_kind.run(task_id) for task_id in ids]
    return [job for job in done if job is not None]


def progress_response(job: Any, message: str, **fields: Any) -> Response:
    """The progress JSON every task page polls (``static/js/task-progress.js``): the
    lifecycle's fields, the status line to show, and the kind's own counters."""
    response = jsonify(
        status=job.status,
        total=job.total,
        processed=job.processed,
        percent=job.percent,
        finished=job.finished,
        message=message,
        **fields,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
