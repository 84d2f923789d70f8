"""The ops routes (blueprint ``ops``, templates ``ops/``): ``/`` (what the tool is and how to
install it), ``/favicon.ico``, ``/healthz``, ``/readyz`` and ``/metrics``. The one area without
a URL prefix of its own name: these are the addresses browsers, load balancers, systemd and
Prometheus ask for at the root (``deploy/``), not pages of an area.

The probes and the favicon are not rate limited (monitoring must never get a 429, and the
limiter's storage is one of the things ``/readyz`` checks); ``/metrics`` answers only a bearer
token, and ``/readyz`` says ``ok`` or ``failed`` and an error type, nothing an attacker can use.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..auth import public
from ..errors import NotFoundError
from ..ratelimit import rate_limited, registration_limit
from . import MIN_TOKEN_LENGTH, health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/")
@public
@rate_limited(registration_limit)
def index() -> ResponseReturnValue:
    from ..registration.kits import tool_urls

    sandbox = "sandbox.home" in current_app.view_functions
    return render_template(
        "ops/index.html",
        urls=tool_urls(request.url_root),
        sandbox=sandbox,
        development=current_app.config["CAREER_CREDIT_ENV"] != "production",
    )


@bp.get("/favicon.ico")
@public
def favicon() -> ResponseReturnValue:
    response = current_app.send_static_file("favicon.svg")
    response.headers["Content-Type"] = "image/svg+xml"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@public
def healthz() -> ResponseReturnValue:
    """Liveness at ``/healthz``: the process answers (no database, no Redis). Registered on the
    app by ``ops.init_app`` under the endpoint ``healthz``, the name its request metrics carry."""
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz() -> ResponseReturnValue:
    checks = health.readiness()
    ready = all(check.status == health.OK for check in checks.values())
    body = {
        "status": "ok" if ready else "failed",
        "checks": {name: check.as_dict() for name, check in checks.items()},
    }
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


@bp.get("/metrics", endpoint="metrics")
@public
def metrics_view() -> ResponseReturnValue:
    if not metrics.enabled(current_app):
        raise NotFoundError("Metrics are not enabled on this server.", reason="metrics_off")
    token = str(current_app.config["METRICS_TOKEN"])
    sent = request.headers.get("Authorization", "")
    scheme, _, credentials = sent.partition(" ")
    if (
        len(token) < MIN_TOKEN_LENGTH
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(credentials.strip().encode(), token.encode())
    ):
        return Response(
            "A bearer token is required (METRICS_TOKEN).\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    response = metrics.scrape()
    response.headers["Cache-Control"] = "no-store"
    return response
