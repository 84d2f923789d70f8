"""What the Canvas modules share: the refusal for an unreachable Canvas and its host."""

from __future__ import annotations

from urllib.parse import urlsplit

UNREACHABLE = "Career Credit could not reach Canvas at that address."


def host(url: str) -> str:
    """The host (and port) of a Canvas URL, as messages name it."""
    return urlsplit(url).netloc or url
