"""Text a database can store: PostgreSQL refuses NUL characters in text, and no database
driver encodes a lone UTF-16 surrogate (which JSON's ``\\ud800`` escapes produce). Input from
outside (launch claims, imported files) is checked with ``storable`` and refused as a whole
with a 4xx, instead of failing on the first write."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


def storable_text(text: str) -> bool:
    """Whether one string can be stored: UTF-8 encodable and without NUL."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(value: Any, depth: int = 0) -> bool:
    """Whether every string (keys included) in a JSON-like value can be stored."""
    if isinstance(value, str):
        return storable_text(value)
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(storable(k, depth + 1) and storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(storable(v, depth + 1) for v in value)
    return True
