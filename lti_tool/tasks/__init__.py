"""Long work: one mechanism for every kind of background task (listing and SIS imports,
accreditation exports).

A task is a row of its domain's table with the same lifecycle columns (``status`` queued →
running → done | failed, ``total``/``processed`` counters, ``created_at``, ``started_at``,
``heartbeat_at``, ``finished_at``, ``tenant_id``, ``actor``). Each domain registers its kind in
its ``register(app)`` (``register_task_kind``): the table and the function that claims and runs
one task to its end. The core gives every kind the same:

- lifecycle (``lifecycle``): a claim is a conditional update (queued, or running with no
  heartbeat for ``STALE_AFTER``), so one runner has a task at a time and a task whose runner
  died is claimed again (resumed); heartbeats with counters; the per-person count of tasks in
  progress for ``JOBS_PER_USER``;
- runners (``runners``): ``start`` hands a task to the process's bounded worker pool
  (``lti_tool.workpool``; nothing with ``JOB_RUNNER = "off"``, where the CLI runs what is
  queued); ``resume_if_stale`` restarts one when its page is opened; ``run_queued`` runs every
  queued or stale task of a kind;
- one progress JSON shape (``progress_response``), one progress script
  (``static/js/task-progress.js``) and one progress section (``templates/tasks/_progress.html``);
- one CLI group: ``flask --app lti_tool tasks list|run|resume``.
"""

from .lifecycle import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STALE_AFTER,
    STATUSES,
    beat,
    claim,
    count_in_progress,
    due_ids,
    is_stale,
    status_labels,
    unattended,
)
from .registry import TaskKind, get_kind, kinds, register_task_kind
from .runners import progress_response, resume_if_stale, run_queued, start

__all__ = [
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "STALE_AFTER",
    "STATUSES",
    "TaskKind",
    "beat",
    "claim",
    "count_in_progress",
    "due_ids",
    "get_kind",
    "is_stale",
    "kinds",
    "progress_response",
    "register_task_kind",
    "resume_if_stale",
    "run_queued",
    "start",
    "status_labels",
    "unattended",
]
