"""Full-text search over listings, with the same matching rules on SQLite and PostgreSQL.

Matching rules (also in ``docs/search.md``; the shared test set in
``tests/internships/test_search.py`` holds both engines to them):

1. What is searched: a listing's title, summary, description (the rendered words: no markup,
   no link addresses), deliverables, employer name, tags, skill labels, competencies and
   place. The services store it, already split into words, in ``search_title`` (the title) and
   ``search_body`` (the rest).
2. Words: a word is a run of letters and digits (``[^\\W_]+``); everything else — spaces,
   punctuation, hyphens, apostrophes, underscores — separates words. Case does not matter;
   accents do ("café" does not match "cafe").
3. English stop words (PostgreSQL's ``english`` list: "the", "and", "of", …) are dropped from
   the query. A query of stop words only (or an empty one) does not filter at all; one with
   no word at all (only symbols or emoji: "!!!", "🙂") finds nothing, and the board says it
   had no words to look for.
4. Every remaining query word must occur in the listing (AND), after English stemming:
   "analyse", "analysing" and "analysis" find one another when both stemmers agree. SQLite uses
   FTS5's Porter stemmer, PostgreSQL the Snowball English stemmer; they agree on common words
   and differ on rare forms (the shared test set avoids none of the words it uses).
5. No prefixes, no phrases, no operators: quotes, ``-`` and ``OR`` are separators like any
   other punctuation. At most ``MAX_TERMS`` words are used.
6. Relevance: listings whose title holds every query word come first, then the rest; inside
   each group the board's order (soonest deadline, then id) applies. This order is the same on
   both engines, so results differ at most in the order of true ties (none: id breaks them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, column, func, literal_column, select, table

from lti_tool.extensions import db

from ..models import Listing

MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's tsearch_data/english.stop (the Snowball English list).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()  # noqa: SIM905
)

_FTS = table("listing_fts", column("rowid", Integer))
_FTS_MATCH: ColumnElement[Any] = literal_column("listing_fts")
# PostgreSQL: stored generated columns with GIN indexes (migrations 5b1f0c2e7d4a and
# c5d2b1f3e4a2), not model attributes:
#   search_vector       = setweight(to_tsvector('english', search_title), 'A')
#                         || to_tsvector('english', search_body)
#   search_title_vector = to_tsvector('english', search_title)
_PG_DOCUMENT: ColumnElement[Any] = literal_column("listing.search_vector")
_PG_TITLE: ColumnElement[Any] = literal_column("listing.search_title_vector")
_ENGLISH: ColumnElement[Any] = literal_column("'english'")


def words(*texts: str | None) -> str:
    """Text reduced to lower-case words separated by single spaces (what the index stores)."""
    return " ".join(w for t in texts if t for w in _WORD.findall(t.lower()))


def query_terms(query: str) -> list[str]:
    """The words of a search query that must all match (rules 2, 3 and 5)."""
    terms: list[str] = []
    for word in _WORD.findall((query or "").lower()):
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _fts5_query(terms: Iterable[str], column_name: str | None = None) -> str:
    expr = " AND ".join(f'"{t}"' for t in terms)
    return f"{column_name} : ({expr})" if column_name else expr


def hits(query: Any) -> Select[Any]:
    """SQLite: the FTS5 rowids (listing ids, every tenant) matching ``query`` (``fts5_query``'s
    text, or a bind parameter that will carry it)."""
    return select(_FTS.c.rowid).where(_FTS_MATCH.match(query))


def fts5_query(terms: Iterable[str], *, title: bool = False) -> str:
    """SQLite: the FTS5 query holding every term (in the title only when ``title``)."""
    return _fts5_query(terms, "search_title" if title else None)


def engine_query(terms: list[str]) -> str:
    """The words as the engine's own query text: what ``newest_holding`` matches."""
    return " ".join(terms) if _dialect() == "postgresql" else _fts5_query(terms)


def newest_holding(stmt: Select[Any], query: Any, limit: int) -> Select[Any]:
    """``stmt`` (over ``listing``) narrowed to the listings holding the words of ``query``
    (``engine_query(terms)``, or a bind parameter that will carry it), the newest (highest
    id) first, at most ``limit``. SQLite reads the FTS5 index backwards and stops at
    ``limit`` (never building the list of every match); PostgreSQL's planner picks between a
    backward primary-key walk and the GIN index."""
    if _dialect() == "postgresql":
        holds = _PG_DOCUMENT.op("@@", is_comparison=True)(func.plainto_tsquery(_ENGLISH, query))
        return stmt.where(holds).order_by(Listing.id.desc()).limit(limit)
    return (
        stmt.join(_FTS, _FTS.c.rowid == Listing.id)
        .where(_FTS_MATCH.match(query))
        .order_by(_FTS.c.rowid.desc())
        .limit(limit)
    )


def matches(dialect: str, query: Any) -> ColumnElement[bool]:
    """A WHERE clause: the listing holds every word of ``query`` (anywhere): PostgreSQL's
    ``engine_query`` text, SQLite's ``fts5_query``, or a bind parameter that will carry it."""
    if dialect == "postgresql":
        return _PG_DOCUMENT.op("@@", is_comparison=True)(func.plainto_tsquery(_ENGLISH, query))
    return Listing.id.in_(hits(query))


def title_matches(dialect: str, query: Any, *, drive: bool = True) -> ColumnElement[bool]:
    """True when the listing's title holds every word of ``query`` (rule 6's first group;
    SQLite: ``fts5_query(terms, title=True)``). Each engine answers it from an index of the
    titles alone (PostgreSQL: ``search_title_vector``'s GIN index; SQLite: the FTS5 table's
    title column), so a word common in descriptions costs no more than its title matches. On
    SQLite, ``drive=False`` keeps the planner from starting at these rowids (``id + 0`` is no
    index): the clause is then a check of rows found otherwise."""
    if dialect == "postgresql":
        return _PG_TITLE.op("@@", is_comparison=True)(func.plainto_tsquery(_ENGLISH, query))
    return (Listing.id if drive else Listing.id + 0).in_(hits(query))
