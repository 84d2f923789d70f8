"""The in-process runner drains a burst of enqueues in one pass: passes start at least
``JOB_RUNNER_MIN_GAP_S`` apart (each costs a sweep, a claim and the tick hooks whatever it
carries), and the wakes that came during the gap are all served by the next pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from lti_tool import jobs
from lti_tool.jobs import runner as runner_module


@pytest.fixture
def passes(monkeypatch) -> Iterator[tuple[list[float], threading.Condition, list[Any]]]:
    """The start times of the runner's passes (a pass begins with the real drain), listed once
    the pass has run its tick hooks; and what to call during the first pass's hooks."""
    began: list[float] = []
    started: list[float] = []
    during_first: list[Any] = []
    changed = threading.Condition()
    drain = runner_module.drain

    def timed_drain(app: Flask, **kw: Any) -> None:
        began.append(time.monotonic())
        drain(app, **kw)

    def hook(_app: Flask) -> None:
        if len(began) == 1:
            for call in during_first:
                call()
        with changed:
            started.append(began[-1])
            changed.notify_all()

    monkeypatch.setattr(runner_module, "drain", timed_drain)
    runner_module.register_tick("test.passes", hook)
    try:
        yield started, changed, during_first
    finally:
        runner_module._tick_hooks.pop("test.passes", None)


def _wait_for(changed: threading.Condition, started: list[float], count: int) -> None:
    with changed:
        assert changed.wait_for(lambda: len(started) >= count, timeout=30), started


def test_a_burst_of_wakes_is_one_pass_after_the_gap(app, passes):
    started, changed, during_first = passes
    runner = jobs.Runner(app, interval_s=60.0, min_gap_s=1.0)
    # twenty awards committed while the first pass runs (after it took its wake), however
    # slowly the machine runs it
    during_first.append(lambda: [runner.wake() for _ in range(20)])
    runner.start()
    try:
        _wait_for(changed, started, 2)
        assert started[1] - started[0] >= 1.0
        # the second pass took every wake with it: nothing is left to start a third
        assert not runner._wake.is_set()
        assert len(started) == 2
    finally:
        runner.stop()
    assert not runner.thread.is_alive()


def test_stop_does_not_wait_out_the_gap(app, passes):
    started, changed, _ = passes
    runner = jobs.Runner(app, interval_s=60.0, min_gap_s=600.0)
    runner.start()
    _wait_for(changed, started, 1)
    runner.wake()  # the next pass would wait ten minutes
    runner.stop(timeout=30)
    assert not runner.thread.is_alive()
    assert len(started) == 1


def test_the_configured_gap_reaches_the_process_runner(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    monkeypatch.setitem(app.config, "JOB_RUNNER_MIN_GAP_S", 0.25)
    monkeypatch.delitem(app.extensions, "outbox_runner", raising=False)
    runner = jobs.start_runner(app)
    try:
        assert runner is not None and runner.min_gap_s == 0.25
    finally:
        assert runner is not None
        runner.stop()
        app.extensions.pop("outbox_runner", None)


def test_the_runner_sweeps_expired_leases_on_its_first_pass_then_every_half_minute(
    app, monkeypatch
):
    """A pass claims and sends; only the first, then one every ``SWEEP_EVERY_S`` (30 s), also
    sweeps the leases a crashed sender left (two statements each)."""
    sweeps: list[bool] = []
    changed = threading.Condition()

    def recorded(_app: Flask, *, sweep_leases: bool = True) -> None:
        with changed:
            sweeps.append(sweep_leases)
            changed.notify_all()

    monkeypatch.setattr(runner_module, "drain", recorded)
    monkeypatch.setattr(runner_module, "SWEEP_EVERY_S", 3600.0)  # however slow the passes
    runner = jobs.Runner(app, interval_s=0.0, min_gap_s=0.0)  # pass after pass
    runner.start()
    try:
        with changed:
            assert changed.wait_for(lambda: len(sweeps) >= 5, timeout=30), sweeps
    finally:
        runner.stop()
    assert sweeps[0] is True and not any(sweeps[1:5])
    monkeypatch.setattr(runner_module, "SWEEP_EVERY_S", 0.0)
    sweeps.clear()
    runner = jobs.Runner(app, interval_s=0.0, min_gap_s=0.0)
    runner.start()
    try:
        with changed:
            assert changed.wait_for(lambda: len(sweeps) >= 3, timeout=30), sweeps
    finally:
        runner.stop()
    assert all(sweeps)
