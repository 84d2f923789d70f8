"""gunicorn settings for a production install: install as /etc/career-credit/gunicorn.conf.py.

The tool's own settings (``config/gunicorn.conf.py``, installed with the wheel inside the
``config`` package) are read first, so the access-log format that keeps query strings (launch
ids, tokens) out of the log is the one the tool ships and is tested with; this file only adds
what an operator may tune. CAREER_CREDIT_BIND and CAREER_CREDIT_WORKERS (career-credit.env) set
the address and the number of workers.
"""

import os
import runpy
from pathlib import Path

import config as _tool_config  # not "config": gunicorn would take it for its own setting

_shipped = runpy.run_path(str(Path(_tool_config.__file__).parent / "gunicorn.conf.py"))
globals().update(
    {k: v for k, v in _shipped.items() if not k.startswith("_") and k.islower() and k != "os"}
)

# Restart each worker after this many requests (plus jitter), bounding slow memory growth.
max_requests = 2000
max_requests_jitter = 200
# The TLS proxy keeps connections to gunicorn open between requests.
keepalive = 5


def child_exit(server, worker):  # gunicorn calls it with both
    """Multiprocess metrics (PROMETHEUS_MULTIPROC_DIR, set by the web unit): drop a dead
    worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
