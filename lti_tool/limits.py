"""Limits on what a request may carry, so hostile input gets a 4xx instead of filling a disk or
failing deep in the database driver:

- the body: ``MAX_CONTENT_LENGTH`` (just above the largest upload), checked against the declared
  ``Content-Length`` before anything reads the body; Werkzeug enforces the same limit on a body
  without one, and ``MAX_FORM_MEMORY_SIZE`` / ``MAX_FORM_PARTS`` on the parsed form;
- integers: the ``int`` URL converter and ``bounded_int`` for query and form values accept only
  what an ``Integer`` column holds (signed 32 bits on PostgreSQL) — SQLite raises OverflowError
  beyond 64 bits and PostgreSQL an out-of-range error beyond the column type;
- JSON: ``json_loads`` (and ``request.get_json`` through the app's JSON provider) turns
  nesting too deep for the parser (RecursionError) into the ValueError callers already handle;
  ``json_loads(..., max_depth=N)`` refuses, the same way, a document nested deeper than a file
  format can sensibly be (import files: ``MAX_IMPORT_JSON_DEPTH``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

# Every id is an Integer column: PostgreSQL's ``integer`` is signed 32-bit.
INT_MAX = 2**31 - 1
# Import files (listing feeds): a JobPosting inside an @graph inside a list is 4 levels, its
# salary's QuantitativeValue 6; 32 leaves ample room and stops pathological nesting early.
MAX_IMPORT_JSON_DEPTH = 32


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches only what an Integer column can hold: a larger number is a 404
    like any other id that does not exist."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def bounded_int(value: Any, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """A decimal integer in [low, high] from a query or form value; None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 20:
        return None  # checked before int(): no work on a thousand-digit value
    number = int(text)
    return number if low <= number <= high else None


class JSONTooDeepError(json.JSONDecodeError):
    """A JSON document nested deeper than the parser, or the caller's ``max_depth``, allows."""


def json_depth(doc: Any) -> int:
    """How deeply ``doc`` nests lists and objects (a scalar is 0, ``[]`` 1), counted without
    recursion."""
    deepest = 0
    stack = [(doc, 1)] if isinstance(doc, dict | list) else []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def json_loads(data: str | bytes | bytearray, *, max_depth: int | None = None) -> Any:
    """``json.loads`` whose every refusal is a ``json.JSONDecodeError`` (a ValueError),
    including nesting too deep for the parser or deeper than ``max_depth`` levels
    (``JSONTooDeepError``)."""
    doc_text = data if isinstance(data, str) else ""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise JSONTooDeepError("nested too deeply", doc_text, 0) from None
    if max_depth is not None and json_depth(doc) > max_depth:
        raise JSONTooDeepError(f"nested more than {max_depth} levels deep", doc_text, 0)
    return doc


class BoundedJSONProvider(DefaultJSONProvider):
    """Request bodies parse through ``json_loads``: too deep is a 400 like any bad JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None


def _refuse_oversized_body() -> None:
    """A declared body above the limit is refused before anything reads (or spools) it."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    from flask import current_app

    from .errors import _render

    # The body is unread: nothing after this may parse the form (the frame-ancestors header
    # would, on the LTI endpoints), or it raises again.
    g.frame_origins = []
    limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
    size = f" ({limit // (1024 * 1024)} MB)" if limit and limit >= 1024 * 1024 else ""
    return _render(
        413,
        "The upload is too large",
        f"The request is larger than Career Credit accepts{size}, so nothing was read or saved.",
        "Upload a smaller file (each upload field says its limit), or split an import file.",
        "request_too_large",
    )


def init_app(app: Flask) -> None:
    """Call before any other before_request function and before blueprints are registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json = BoundedJSONProvider(app)
    app.before_request(_refuse_oversized_body)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
