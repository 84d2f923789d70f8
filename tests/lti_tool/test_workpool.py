"""The worker pool is bounded: more jobs than workers wait their turn on the same threads."""

from __future__ import annotations

import threading

from lti_tool import workpool


def test_jobs_beyond_the_pool_size_wait_instead_of_starting_threads(app, monkeypatch):
    monkeypatch.setattr(workpool, "_executor", None)
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    monkeypatch.setitem(app.config, "WORK_POOL_WORKERS", 2)
    both_running = threading.Barrier(3)
    release = threading.Event()
    lock = threading.Lock()
    running, most, names = [0], [0], set()

    def job(n: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            names.add(threading.current_thread().name)
        if n < 2:
            both_running.wait(30)  # the first two are on the pool together
        assert release.wait(30)
        with lock:
            running[0] -= 1
        return n

    futures = [workpool.submit(app, job, n) for n in range(5)]
    both_running.wait(30)
    assert sum(f.running() for f in futures if f) == 2  # the other three are queued
    release.set()
    assert [f.result(30) for f in futures if f] == [0, 1, 2, 3, 4]
    assert most[0] == 2 and len(names) == 2
    workpool.executor(app).shutdown()


def test_off_runs_nothing(app):
    assert workpool.submit(app, lambda: None) is None
