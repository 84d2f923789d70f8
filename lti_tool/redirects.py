"""Addresses that moved. An address handed out beyond the tool — pasted into an LMS, emailed in
an invitation — keeps working after its area moves: the old address answers a permanent
redirect (308, so a POST stays a POST with its body) to where the page lives now, with the same
path values and query string. An area's views declare its old addresses with ``moved``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .auth import public
from .extensions import csrf
from .ratelimit import rate_limited


def _to(endpoint: str, limit: Callable[[], str]) -> Callable[..., ResponseReturnValue]:
    def view(**values: Any) -> ResponseReturnValue:
        target = url_for(endpoint, **values)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, code=308)

    view.__name__ = f"moved_to_{endpoint.replace('.', '_')}"
    return public(rate_limited(limit)(view))


def moved(
    name: str, url_prefix: str, moves: Mapping[str, str], limit: Callable[[], str]
) -> Blueprint:
    """A blueprint of old addresses under ``url_prefix``: each rule of ``moves`` answers a 308 to
    its endpoint (GET and POST; the new page checks what it always checked, CSRF included)."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    for rule, endpoint in moves.items():
        bp.add_url_rule(
            rule,
            endpoint=endpoint.rsplit(".", 1)[-1],
            view_func=_to(endpoint, limit),
            methods=["GET", "POST"],
        )
    csrf.exempt(bp)  # a redirect changes nothing; the page it leads to checks the token
    return bp
