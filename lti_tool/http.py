"""Outbound HTTP: one session per process, and every call has a timeout."""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app, has_app_context

_session: requests.Session | None = None


class TimeoutSession(requests.Session):
    """A requests session that never waits forever."""

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
