"""Limits on expensive work: one bounded worker pool per process for background jobs (imports,
exports), a per-person cap on the jobs they have in progress, and a bounded number of PDFs made
during requests at once.

- ``submit`` runs a job on a ``ThreadPoolExecutor`` of ``WORK_POOL_WORKERS`` threads: a hundred
  queued jobs wait their turn instead of starting a hundred threads.
- ``ensure_job_capacity`` refuses a new job when the person already has ``JOBS_PER_USER`` jobs
  queued or running (counted in the database for every registered kind of task,
  ``lti_tool.tasks``, so the cap holds across processes and runners); on PostgreSQL a
  transaction-scoped advisory lock on the person makes two simultaneous requests count one
  after the other.
- ``report_slot`` guards a PDF made during a request: at most ``REPORTS_AT_ONCE`` per process
  and ``REPORTS_PER_USER`` per person; when full the person gets a 503 / 429 page saying so,
  rather than requests piling up behind one another.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import text

from .actor import Actor
from .errors import AppError
from .extensions import db


class TooManyJobsError(AppError):
    """The person already has as much work in progress as one person may."""

    status = 429
    title = "You already have work in progress"


class BusyError(AppError):
    """Every slot for this kind of work is taken; try again shortly."""

    status = 503
    title = "Career Credit is busy"


# --- the pool -------------------------------------------------------------------------------------

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def executor(app: Flask) -> ThreadPoolExecutor:
    """The process's pool (``WORK_POOL_WORKERS`` threads, created on first use)."""
    global _executor
    with _lock:
        if _executor is None:
            workers = int(app.config["WORK_POOL_WORKERS"])
            _executor = ThreadPoolExecutor(
                max_workers=max(1, workers), thread_name_prefix="career-credit-work"
            )
        return _executor


def submit(app: Flask, fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
    """Run ``fn(*args)`` in an app context on the pool; None with ``JOB_RUNNER = "off"``
    (tests, or a cron set-up where the CLI runs what is queued)."""
    mode = str(app.config["JOB_RUNNER"])
    if mode == "off":
        return None

    def work() -> Any:
        with app.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    return executor(app).submit(work)


# --- per-person cap on jobs -----------------------------------------------------------------------


def jobs_in_progress(actor: Actor) -> int:
    """The person's queued and running tasks across every registered kind (``lti_tool.tasks``)."""
    from .tasks import kinds

    return sum(kind.in_progress(actor) for kind in kinds())


def ensure_job_capacity(actor: Actor) -> None:
    """Refuse (TooManyJobsError) a new job of a person who has ``JOBS_PER_USER`` in progress.
    Call before creating the job row, in the transaction that creates it."""
    limit = int(current_app.config["JOBS_PER_USER"])
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.blake2b(f"jobs:{actor.tenant}:{actor.name}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    if jobs_in_progress(actor) >= limit:
        raise TooManyJobsError(
            f"You already have {limit} imports or exports in progress, as many as one person "
            "may run at once.",
            hint="Wait until one of them has finished (its page shows its progress), then "
            "try again.",
            reason="too_many_jobs",
        )


# --- PDFs made during a request -------------------------------------------------------------------

_report_lock = threading.Lock()
_report_slots: dict[int, threading.BoundedSemaphore] = {}
_reports_by_user: dict[Any, int] = {}


def _slots(size: int) -> threading.BoundedSemaphore:
    with _report_lock:
        if size not in _report_slots:
            _report_slots[size] = threading.BoundedSemaphore(size)
        return _report_slots[size]


@contextmanager
def report_slot(user_key: Any) -> Iterator[None]:
    """Hold one of the process's PDF slots while a report is made; refuse at once when the
    person already has ``REPORTS_PER_USER`` in the making (429) or every slot is taken (503)."""
    per_user = int(current_app.config["REPORTS_PER_USER"])
    slots = _slots(int(current_app.config["REPORTS_AT_ONCE"]))
    with _report_lock:
        if _reports_by_user.get(user_key, 0) >= per_user:
            raise TooManyJobsError(
                "Career Credit is still making your previous report.",
                hint="Wait until it has downloaded, then try again.",
                reason="report_in_progress",
            )
        _reports_by_user[user_key] = _reports_by_user.get(user_key, 0) + 1
    try:
        if not slots.acquire(blocking=False):
            raise BusyError(
                "Career Credit is busy making other reports; try again in a minute.",
                hint="Nothing was lost: ask for the report again in a minute.",
                reason="reports_busy",
            )
        try:
            yield
        finally:
            slots.release()
    finally:
        with _report_lock:
            left = _reports_by_user[user_key] - 1
            if left:
                _reports_by_user[user_key] = left
            else:
                del _reports_by_user[user_key]
