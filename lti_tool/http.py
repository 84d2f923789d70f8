"""Outbound HTTP: one session per process, and every call has a timeout. A request that can
be repeated (GET, PUT, DELETE…) is sent once more when the server had closed the kept-alive
connection it went out on; never after a timeout, never a POST."""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry


class DroppedConnectionRetry(Retry):
    """urllib3's ``Retry`` that counts only a dropped connection (the server closed it, or
    reset it, before answering) as worth one more try: a read timeout is not (the server may
    still be working on it, and a second wait would double the page's)."""

    def _is_read_error(self, err: Exception) -> bool:
        return isinstance(err, ProtocolError)


def dropped_connection_retry() -> Retry:
    """One more try, immediately, for an idempotent request whose connection was dropped."""
    return DroppedConnectionRetry(
        total=1, connect=0, read=1, status=0, other=0, backoff_factor=0, raise_on_status=False
    )


_session: requests.Session | None = None


class TimeoutSession(requests.Session):
    """A requests session that never waits forever, and sends an idempotent request once more
    over a new connection when the kept-alive one it used had been closed by the server (the
    LMS's keep-alive timeout ended just as the request went out)."""

    def __init__(self) -> None:
        super().__init__()
        for scheme in ("https://", "http://"):
            self.mount(scheme, HTTPAdapter(max_retries=dropped_connection_retry()))

    def request(
        self,
        method: str | bytes,
        url: str | bytes,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            timeout = current_app.config["HTTP_TIMEOUT_S"] if has_app_context() else 10.0
            kwargs["timeout"] = timeout
        return super().request(method, url, *args, **kwargs)


def session() -> requests.Session:
    global _session
    if _session is None:
        _session = TimeoutSession()
        _session.headers["User-Agent"] = "CareerCredit/0.1 (+LTI 1.3 tool)"
    return _session
