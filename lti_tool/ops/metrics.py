"""Prometheus metrics (prometheus-client).

Per request, counted in the process that served it (summed over gunicorn workers in
multiprocess mode, see ``lti_tool.ops``):

- ``career_credit_http_requests_total{endpoint, method, status}``
- ``career_credit_http_request_duration_seconds{endpoint, method}`` (histogram)

``endpoint`` is the Flask endpoint (``lti.launch``, ``credit.review``), never the path, so no
id or token reaches a label; a URL no route matches is ``none``.

Read from the database at scrape time (one query, so every worker and Celery's deliveries
agree):

- ``career_credit_outbox_messages{kind, state}``: messages not yet settled. ``state`` is
  ``pending`` (never tried), ``retrying`` (at least one delivery failed; waiting for the next
  attempt), ``sending`` (leased to a sender) or ``failed`` (gave up or refused: needs a person).
- ``career_credit_outbox_oldest_age_seconds{kind, state}``: age of the oldest such message.
- ``career_credit_outbox_up``: 1 when that query worked, 0 when the database did not answer.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select

from . import truthy

log = logging.getLogger("career_credit.ops")

# The request metrics live in a registry of their own (not prometheus_client's global one):
# a scrape composes it with the outbox collector.
REQUESTS = CollectorRegistry(auto_describe=True)
disable_created_metrics()  # no *_created series: Prometheus does not need them
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

http_requests = Counter(
    "career_credit_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status.",
    ("endpoint", "method", "status"),
    registry=REQUESTS,
)
http_duration = Histogram(
    "career_credit_http_request_duration_seconds",
    "Time from the start of a request to its response, by Flask endpoint and method.",
    ("endpoint", "method"),
    registry=REQUESTS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def enabled(app: Flask) -> bool:
    return truthy(app.config["METRICS_ENABLED"])


def init_app(app: Flask) -> None:
    """Time and count every request while ``METRICS_ENABLED`` is on (checked per request, a
    dictionary look-up when off)."""

    @app.before_request
    def _start_timer() -> None:
        if enabled(app):
            g.ops_request_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.pop("ops_request_started", None)
        if started is not None:
            rule = request.url_rule
            endpoint = rule.endpoint if rule is not None else "none"
            method = request.method if request.method in _METHODS else "other"
            http_requests.labels(endpoint, method, str(response.status_code)).inc()
            http_duration.labels(endpoint, method).observe(time.perf_counter() - started)
        return response


class _Forward(Collector):
    """A registry's metrics as one collector of another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


class OutboxCollector(Collector):
    """The outbox's unsettled messages by kind and state, read with one grouped query on the
    ``(status, next_attempt_at)`` index (sent and superseded rows are never scanned)."""

    def collect(self) -> Iterator[Metric]:
        from ..extensions import db
        from ..jobs.models import FAILED, PENDING, SENDING, OutboxMessage
        from ..models import utcnow

        depth = GaugeMetricFamily(
            "career_credit_outbox_messages",
            "Outbox messages not yet settled, by kind and state "
            "(pending, retrying, sending, failed).",
            labels=("kind", "state"),
        )
        age = GaugeMetricFamily(
            "career_credit_outbox_oldest_age_seconds",
            "Age of the oldest outbox message in each kind and state.",
            labels=("kind", "state"),
        )
        up = GaugeMetricFamily(
            "career_credit_outbox_up", "Whether the outbox could be read (1) or not (0)."
        )
        m = OutboxMessage
        state = case((and_(m.status == PENDING, m.attempts > 0), "retrying"), else_=m.status).label(
            "state"
        )
        query = (
            select(m.kind, state, func.count(), func.min(m.created_at))
            .where(m.status.in_((PENDING, SENDING, FAILED)))
            .group_by(m.kind, state)
        )
        try:
            rows = db.session.execute(query).all()
            db.session.rollback()
        except Exception as exc:
            db.session.rollback()
            log.warning("metrics: the outbox could not be read (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        now = utcnow()
        for kind, row_state, count, oldest in rows:
            depth.add_metric([kind, row_state], int(count))
            if oldest is not None:
                age.add_metric([kind, row_state], max((now - oldest).total_seconds(), 0.0))
        up.add_metric([], 1)
        yield from (depth, age, up)


def scrape() -> Response:
    """The exposition of every metric: this process's (or, in multiprocess mode, every
    worker's) request metrics and the outbox read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REQUESTS))
    registry.register(OutboxCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
