"""SQLAlchemy's cache of compiled statements, answering a statement built once without hashing
its key (issue 16).

SQLAlchemy finds a statement's compiled SQL by its cache key: a tuple of the statement's
whole structure, which it keeps on a statement object once made (``_generate_cache_key``
memoizes it). Python does not keep a tuple's hash, so each execution hashes the structure
again to look it up; the student home's work statement is a tuple of about 4,000 elements.
Timed around SQLAlchemy's lookup over 800 to 1,000 student homes (the demo student, on
PostgreSQL), the page's six lookups took 0.21 to 0.28 ms of its 4.3 to 5.1 ms of CPU (the
chasing of the tuple's elements across memory costs far more time than its instructions);
answered by the index below, 14 to 16 µs (``benchmarks/README.md``, session 24).

The tool builds its hot statements once (``functools.cache``), so the same key object comes
back on every execution. ``StatementCache`` is SQLAlchemy's own LRU cache with an index by
the identity of that key object: a lookup whose key object was seen before compares it by
identity (and the rest of the lookup key, a few small values, by equality) and hashes
nothing. The index holds the keys it answers for, so an identity it finds is never a reused
``id`` of another object; a key it does not hold is looked up as SQLAlchemy would. A lookup
answered by the index does not mark the entry as used in the LRU: should the LRU prune it
(past 750 shapes, down to 500), its next lookup after the index is emptied compiles it again,
as SQLAlchemy would any pruned statement. The engine takes the cache as its
``compiled_cache`` execution option (documented on ``Engine`` and ``Connection``), so every
statement of every connection goes through it; the ORM's flush keeps its own caches."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.util import LRUCache

CAPACITY = 500  # SQLAlchemy's own default (create_engine's query_cache_size)


class StatementCache(LRUCache[Any, Any]):
    """An LRU cache of compiled statements with an index by the identity of a statement's
    cache key (the second element of SQLAlchemy's lookup key)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__(capacity)
        self._by_key: dict[int, tuple[Any, Any]] = {}
        # ad-hoc statements make a new key object each time: the index is emptied when it
        # holds this many, and the keys built once are indexed again on their next lookup
        self._index_max = 2 * capacity

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            kept = self._by_key.get(id(key[1]))
        except (TypeError, IndexError, KeyError):  # not a lookup key of the shape it indexes
            return super().get(key, default)
        # the index holds the key it found, so the object of that id is this lookup's: the
        # comparison meets it by identity, and only the lookup key's small parts by value
        if kept is not None and kept[0] == key:
            return kept[1]
        found = super().get(key, default)
        if found is not None and found is not default:
            self._index(key, found)
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._index(key, value)

    def clear(self) -> None:
        super().clear()
        self._by_key.clear()

    def _index(self, key: Any, value: Any) -> None:
        try:
            statement_key = key[1]
        except (TypeError, IndexError, KeyError):
            return
        if len(self._by_key) >= self._index_max:
            self._by_key.clear()
        self._by_key[id(statement_key)] = (key, value)


def init_app(app: Flask) -> None:
    """Give each of the app's engines a ``StatementCache`` of its own."""
    from .extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.update_execution_options(compiled_cache=StatementCache())
