"""Who drains the outbox: an in-process thread (embedded default) or Celery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    event,
)
from sqlalchemy.orm import Session

from .drain import drain

log = logging.getLogger("career_credit.jobs")

# How often a process's runner sweeps expired leases (a sender that crashed or hung leaves its
# claimed messages leased for ``drain``'s 120 s): a pass that sweeps every time costs two
# statements a second per worker for what happens after a crash.
SWEEP_EVERY_S = 30.0


# --- the in-process runner (JOB_RUNNER = "thread") -------------------------------------------


def runner_mode(app: Flask) -> str:
    """``thread``, ``celery`` or ``off``; tests say ``off`` (they call ``drain``)."""
    return str(app.config["JOB_RUNNER"])


class Runner:
    """One daemon thread per process that sweeps and drains every ``interval_s`` seconds, or
    at once when an enqueue is committed.

    A pass starts at most once every ``min_gap_s`` seconds: the enqueues of a busy moment
    (every award wakes its process's runner) are drained together by the next pass instead of
    one pass each, whose sweep, claim and tick hooks cost the same for one message as for
    fifty. A wake after a quiet moment still starts a pass at once."""

    def __init__(self, app: Flask, interval_s: float = 2.0, min_gap_s: float = 0.0) -> None:
        self.app = app
        self.interval_s = interval_s
        self.min_gap_s = min_gap_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.passes = 0  # passes finished (``wait_for_passes``)
        self._passed = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="outbox-runner", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self._wake.set()

    def wait_for_passes(self, count: int, timeout: float = 60.0) -> bool:
        """Wait until ``count`` passes have finished (the first one sweeps leases and runs the
        hourly and tick jobs: on SQLite it holds the write lock a while); whether they did
        within ``timeout``."""
        with self._passed:
            return self._passed.wait_for(lambda: self.passes >= count, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        started = swept = -float("inf")
        while not self._stop.is_set():
            gap = self.min_gap_s - (time.monotonic() - started)
            if gap > 0 and self._stop.wait(gap):
                break
            self._wake.clear()  # after the gap: what was enqueued during it goes in this pass
            started = time.monotonic()
            sweep = started - swept >= SWEEP_EVERY_S
            swept = started if sweep else swept
            try:
                drain(self.app, sweep_leases=sweep)
            except Exception:
                log.exception("outbox runner: drain failed; trying again shortly")
            from ..privacy.retention import run_scheduled

            run_scheduled(self.app)  # hourly: expired sessions, files, audit entries
            run_tick_hooks(self.app)
            with self._passed:
                self.passes += 1
                self._passed.notify_all()
            self._wake.wait(self.interval_s)


# Periodic work other packages hang on the runner's tick (each throttles itself and must
# not raise), e.g. deriving evidence from newly arrived supervisor evaluations.
TickHook = Callable[[Flask], object]
_tick_hooks: dict[str, TickHook] = {}


def register_tick(name: str, hook: TickHook) -> None:
    """Call ``hook(app)`` on every runner tick (idempotent per ``name``)."""
    _tick_hooks[name] = hook


def run_tick_hooks(app: Flask) -> None:
    """Run the registered tick hooks; one failing never stops the others or the runner."""
    for name, hook in list(_tick_hooks.items()):
        try:
            hook(app)
        except Exception:
            log.exception("runner tick hook %s failed", name)


_start_lock = threading.Lock()


def start_runner(app: Flask) -> Runner | None:
    """Start this process's runner thread once (JOB_RUNNER = "thread"); None otherwise."""
    if runner_mode(app) != "thread":
        return None
    with _start_lock:
        runner: Runner | None = app.extensions.get("outbox_runner")
        if runner is None:
            runner = Runner(
                app,
                float(app.config["JOB_RUNNER_INTERVAL_S"]),
                float(app.config["JOB_RUNNER_MIN_GAP_S"]),
            )
            app.extensions["outbox_runner"] = runner
            runner.start()
    return runner


def init_app(app: Flask) -> None:
    """Start the runner lazily on the first request (never in the factory: no I/O there, and
    the CLI and migrations must not start threads)."""

    def _ensure_runner() -> None:
        if "outbox_runner" not in app.extensions:
            start_runner(app)

    app.before_request(_ensure_runner)


def kick() -> None:
    """Ask for delivery now: wake the runner thread, or queue a Celery drain."""
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = runner_mode(app)
    if mode == "thread":
        runner: Runner | None = app.extensions.get("outbox_runner")
        if runner is not None:
            runner.wake()
    elif mode == "celery":
        try:
            from ..celery_app import drain_outbox

            drain_outbox.apply_async(retry=False)
        except Exception as exc:  # the beat sweep delivers it anyway
            log.warning("outbox: could not queue a Celery drain (%s)", type(exc).__name__)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("outbox_enqueued", False):
        kick()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("outbox_enqueued", None)
