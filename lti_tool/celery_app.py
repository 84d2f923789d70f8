"""Celery for production (``JOB_RUNNER = "celery"``): workers drain the outbox when an enqueue
is committed (``jobs.kick``) and every 30 seconds from beat, which also re-drives rows whose
lease expired. The outbox table stays the source of truth: a lost Celery message only delays
a grade until the next sweep.

    celery -A lti_tool.celery_app worker --concurrency 4
    celery -A lti_tool.celery_app beat

The broker is ``CELERY_BROKER_URL`` (default ``redis://127.0.0.1:6379/1``); the Flask app is
built in each worker process from the usual environment (``DATABASE_URL``, …).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from flask import Flask

from config import default as default_settings

SWEEP_INTERVAL_S = 30.0

celery = Celery(
    "career_credit",
    broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1"),
    backend=os.environ.get("CELERY_RESULT_BACKEND") or None,
)
celery.conf.update(
    task_default_queue=os.environ.get("CELERY_QUEUE", "career_credit"),
    task_ignore_result=not os.environ.get("CELERY_RESULT_BACKEND"),
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=3,
    worker_prefetch_multiplier=1,
    timezone="UTC",
    beat_schedule={
        "outbox-sweep": {"task": "career_credit.sweep_outbox", "schedule": SWEEP_INTERVAL_S},
        "tick-hooks": {"task": "career_credit.tick_hooks", "schedule": SWEEP_INTERVAL_S},
        "retention-purge": {
            "task": "career_credit.maintenance_purge",
            # Beat runs before any app is built: the environment, else the default setting.
            "schedule": float(
                os.environ.get("CAREER_CREDIT_MAINTENANCE_INTERVAL_S")
                or default_settings.MAINTENANCE_INTERVAL_S
            ),
        },
    },
)
app = celery  # `celery -A lti_tool.celery_app` finds either name

_flask_app: Flask | None = None


def flask_app() -> Flask:
    """This worker process's Flask app, built on first use (after the pool forks)."""
    global _flask_app
    if _flask_app is None:
        from . import create_app

        _flask_app = create_app(os.environ.get("CAREER_CREDIT_CONFIG") or None)
    return _flask_app


def _senders() -> int:
    return int(flask_app().config["JOB_SENDERS"])


@celery.task(name="career_credit.drain_outbox")
def drain_outbox(max_rows: int | None = None) -> dict[str, Any]:
    """Deliver every due outbox message now."""
    from . import jobs

    return jobs.drain(flask_app(), max_rows=max_rows, senders=_senders()).as_dict()


@celery.task(name="career_credit.sweep_outbox")
def sweep_outbox() -> dict[str, Any]:
    """Re-drive rows whose lease expired, then deliver what is due (beat, every 30 s)."""
    from . import jobs

    return jobs.drain(flask_app(), senders=_senders()).as_dict()


@celery.task(name="career_credit.maintenance_purge")
def maintenance_purge() -> dict[str, int]:
    """Apply the retention rules (beat, hourly): the same as ``flask privacy purge``."""
    from .extensions import db
    from .privacy import retention

    with flask_app().app_context():
        counts = retention.purge()
        db.session.commit()
    return counts


@celery.task(name="career_credit.tick_hooks")
def tick_hooks() -> None:
    """The periodic work domains register with the runner (for example deriving outcome
    evidence from new supervisor evaluations); beat runs it where no runner thread does."""
    from .jobs.runner import run_tick_hooks

    run_tick_hooks(flask_app())
