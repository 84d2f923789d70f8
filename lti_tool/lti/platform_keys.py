"""Platform public keys, cached per process by key set URL and re-fetched when a token names
a kid the cache does not know (platforms rotate; D2L does so hourly)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import requests
from jwt.algorithms import RSAAlgorithm

from ..errors import LaunchError
from ..http import session

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict[str, Any]]] = {}  # url -> (fetched_at, {kid: key})


def _fetch(url: str) -> dict[str, Any]:
    try:
        resp = session().get(url)
        resp.raise_for_status()
        doc = resp.json()
        keys = {}
        for jwk in doc.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = (jwk.get("alg", "RS256"), RSAAlgorithm.from_jwk(json.dumps(jwk)))
        return keys
    except (requests.RequestException, ValueError, AttributeError, TypeError) as exc:
        raise LaunchError(
            f"The platform's key set at {url} could not be read ({exc}).",
            reason="platform_keys_unavailable",
            hint="Check the registration's key set URL and that the platform answers.",
        ) from exc


def public_key(url: str, kid: str, lifetime_s: float, refetch_min_s: float) -> tuple[str, Any]:
    """(alg, key) for ``kid`` from the platform key set at ``url``; an unknown kid re-fetches
    the set, at most once per ``refetch_min_s`` per URL."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(url)
    if cached and now - cached[0] < lifetime_s and kid in cached[1]:
        return cached[1][kid]
    if cached and kid not in cached[1] and now - cached[0] < refetch_min_s:
        raise LaunchError(
            f"The token was signed with key {kid!r}, which the platform's key set "
            "does not contain.",
            reason="bad_signature",
        )
    keys = _fetch(url)
    with _lock:
        _cache[url] = (now, keys)
    if kid not in keys:
        raise LaunchError(
            f"The token was signed with key {kid!r}, which the platform's key set "
            "does not contain.",
            reason="bad_signature",
        )
    return keys[kid]


def clear() -> None:
    with _lock:
        _cache.clear()
