"""What operators and monitoring reach: the root page and favicon, ``/healthz`` (liveness) and
``/readyz`` (database, Redis, virus scanner), and Prometheus metrics at ``/metrics``.

Settings:

- ``METRICS_ENABLED`` (false): count requests and serve ``/metrics``; off, ``/metrics`` is 404
  and nothing is counted.
- ``METRICS_TOKEN``: required when metrics are on (at least 24 characters; the app refuses to
  start without it). A scrape must send ``Authorization: Bearer <token>``; anything else gets
  401. A token, not an address check: behind a proxy every request comes from the proxy's
  address, and one forged ``X-Forwarded-For`` away from looking local.
- ``PROMETHEUS_MULTIPROC_DIR`` (environment, not a setting): under gunicorn with several
  workers, an empty directory writable by the workers, emptied before each start (prometheus
  client's multiprocess mode); each worker writes its counts there and any worker's
  ``/metrics`` reports the sum. Without it each worker reports only its own requests.
- ``READYZ_TIMEOUT_S`` (2): how long each readiness check may take.
- ``OPS_LOG_PROBES`` (false): whether gunicorn's access log records successful ``/healthz``,
  ``/readyz`` and ``/metrics`` requests (failures are always logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MIN_TOKEN_LENGTH = 24


def truthy(value: Any) -> bool:
    """A setting that may arrive as a bool or as text from the environment."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class ProbeLogFilter(logging.Filter):
    """Drops gunicorn access-log records of successful probe requests (monitoring polls them
    every few seconds); a probe that fails is logged like any request."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if not isinstance(atoms, Mapping):
            return True
        path, status = atoms.get("U"), str(atoms.get("s", ""))
        return not (path in PROBE_PATHS and status.startswith("2"))


def _check_config(app: Flask) -> None:
    from ..settings import ConfigurationError

    cfg = app.config
    if truthy(cfg["METRICS_ENABLED"]):
        token = str(cfg["METRICS_TOKEN"])
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigurationError(
                "METRICS_ENABLED needs CAREER_CREDIT_METRICS_TOKEN set to a random value of at "
                f"least {MIN_TOKEN_LENGTH} characters (Prometheus sends it as a bearer token); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'."
            )


def init_app(app: Flask) -> None:
    """Register the ops routes and the request metrics; check the metrics settings."""
    _check_config(app)
    from . import metrics
    from .views import bp, healthz

    app.register_blueprint(bp)
    app.add_url_rule("/healthz", "healthz", healthz)  # the endpoint its metrics have always named
    metrics.init_app(app)
    if not truthy(app.config["OPS_LOG_PROBES"]):
        access = logging.getLogger("gunicorn.access")
        if not any(isinstance(f, ProbeLogFilter) for f in access.filters):
            access.addFilter(ProbeLogFilter())
