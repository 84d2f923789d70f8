"""psycopg's cursor with a description built only when something reads it.

SQLAlchemy asks ``cursor.description`` after every statement, and psycopg answers with a new
list of ``Column`` objects, one per result column (its name decoded, its type looked up). For
a statement SQLAlchemy compiled before, the result's columns are already known
(``compiled._cached_metadata``): it only checks that the description is not ``None`` and
throws the list away. The engagement page's two statements have 94 and 118 columns, so that
was about 200 objects per view for nothing (psycopg's per-statement work was about 12 % of
the soak's profile, issue 16).

Here the description is a sequence over the result it was asked of, which builds psycopg's
own ``Column`` objects the first time one is read: anything that reads it (a statement
SQLAlchemy has not seen, ``text()``, a test) gets exactly what psycopg gives.

``parse_long_statements_once``: psycopg keeps the parsed form of a statement (its ``%(name)s``
placeholders turned into ``$1``) only for statements of at most 4,096 bytes and 50 parameters,
against ORMs' one-off bulk inserts (psycopg discussion 628). The tool's longest reads (the
engagement page's, the advisor's student table: 5,800 to 6,100 bytes) are the same text on
every view, and were parsed again on each (0.1 to 0.4 ms).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import pq

_TUPLES = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)
# psycopg's cache holds 128 statements: at this length at most 4 MiB a process (each
# statement's text and its converted form), the tool's own reads well under 1 MiB
STATEMENT_BYTES_KEPT = 16_384
STATEMENT_PARAMETERS_KEPT = 500


def parse_long_statements_once() -> None:
    """Let psycopg keep the parsed form of statements up to ``STATEMENT_BYTES_KEPT`` bytes and
    ``STATEMENT_PARAMETERS_KEPT`` parameters (its limits are module settings of
    ``psycopg._queries``; a release without them is left as it is, and
    ``tests/lti_tool/test_pg_cursor.py`` says so)."""
    from psycopg import _queries

    for name, value in (
        ("MAX_CACHED_STATEMENT_LENGTH", STATEMENT_BYTES_KEPT),
        ("MAX_CACHED_STATEMENT_PARAMS", STATEMENT_PARAMETERS_KEPT),
    ):
        if isinstance(getattr(_queries, name, None), int):
            setattr(_queries, name, max(getattr(_queries, name), value))


class _Result:
    """What ``psycopg.Column`` reads of its cursor, fixed to one result (the cursor may have
    moved on to the next statement's by the time the description is read)."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: psycopg.Cursor[Any], res: pq.abc.PGresult) -> None:
        self.pgresult = res
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class Description(Sequence[psycopg.Column]):
    """``cursor.description`` of one result, its ``Column`` objects built on first use."""

    __slots__ = ("_columns", "_cursor", "_res")

    def __init__(self, cursor: psycopg.Cursor[Any], res: pq.abc.PGresult) -> None:
        self._cursor = cursor
        self._res = res
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            cursor, res = self._cursor, self._res
            # the cursor itself while it still holds this result (read at once, as everything
            # that reads it does); else what ``Column`` reads of it, fixed to this result
            source: Any = cursor if cursor.pgresult is res else _Result(cursor, res)
            self._columns = [psycopg.Column(source, i) for i in range(res.nfields)]
            self._cursor = None  # type: ignore[assignment]  # not kept alive by the list
        return self._columns

    def __len__(self) -> int:
        return self._res.nfields if self._columns is None else len(self._columns)

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class Cursor(psycopg.Cursor[Any]):
    """psycopg's client-side cursor; only ``description`` differs (built when read)."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        res = self.pgresult
        # psycopg's own test: columns, or a result that said it has tuples ("SELECT ;")
        if res and (res.nfields or res.status in _TUPLES):
            return Description(self, res)
        return None
