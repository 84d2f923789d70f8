"""Readiness: can this process serve real requests? Each check answers ``ok`` or ``failed``
with the error's type only — never a URL, host, password or the dependency's own words.

- ``database``: ``SELECT 1`` through the app's engine.
- ``redis.lti_state`` (``LTI_STATE_REDIS_URL``), ``redis.rate_limits``
  (``RATELIMIT_STORAGE_URI`` when it is Redis), ``redis.celery_broker`` (the Celery broker when
  ``JOB_RUNNER`` is ``celery`` and the broker is Redis): ``PING``; one connection per distinct
  URL.
- ``scanner`` (``CLAMAV_SOCKET`` or ``CLAMAV_HOST``): clamd's ``PING`` answered ``PONG``.

Dependencies that are not configured are not listed. Each check gives up after
``READYZ_TIMEOUT_S`` (2 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

OK = "ok"
FAILED = "failed"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class Check:
    status: str
    error: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, **({"error": self.error} if self.error else {})}


def _timeout() -> float:
    return float(current_app.config["READYZ_TIMEOUT_S"])


def _run(probe: Callable[[], None]) -> Check:
    try:
        probe()
    except Exception as exc:  # any failure is the answer, never a 500
        return Check(FAILED, type(exc).__name__)
    return Check(OK)


def check_database() -> Check:
    from ..extensions import db

    def probe() -> None:
        try:
            db.session.execute(text("SELECT 1"))
        finally:
            db.session.rollback()

    return _run(probe)


def _redis_url(uri: str) -> str | None:
    uri = uri.strip()
    if uri.startswith("redis+unix://"):  # Flask-Limiter's spelling of a socket
        uri = "unix://" + uri[len("redis+unix://") :]
    return uri if uri.startswith(_REDIS_SCHEMES) else None


def redis_urls() -> dict[str, str]:
    """The Redis URLs this process uses, by what it uses them for."""
    cfg = current_app.config
    urls = {
        "redis.lti_state": _redis_url(str(cfg["LTI_STATE_REDIS_URL"])),
        "redis.rate_limits": _redis_url(str(cfg["RATELIMIT_STORAGE_URI"])),
    }
    if str(cfg["JOB_RUNNER"]) == "celery":
        from ..celery_app import celery

        urls["redis.celery_broker"] = _redis_url(str(celery.conf.broker_url or ""))
    return {name: url for name, url in urls.items() if url}


def check_redis(url: str) -> Check:
    def probe() -> None:
        import redis

        timeout = _timeout()
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            if not client.ping():
                raise ConnectionError("no PONG")
        finally:
            client.close()

    return _run(probe)


def check_scanner() -> Check:
    """clamd's ``zPING`` (``lti_tool.virus_scan``), with the readiness timeout rather than the
    scan's."""
    from .. import virus_scan

    return _run(lambda: virus_scan.ping(_timeout()))


def readiness() -> dict[str, Check]:
    """Every configured dependency's check, by name."""
    checks = {"database": check_database()}
    seen: dict[str, Check] = {}
    for name, url in redis_urls().items():
        if url not in seen:
            seen[url] = check_redis(url)
        checks[name] = seen[url]
    from .. import virus_scan

    if virus_scan.configured():
        checks["scanner"] = check_scanner()
    return checks
