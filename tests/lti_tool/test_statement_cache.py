"""The engine's compiled-statement cache (``lti_tool.statement_cache``): a statement built once
is found by the identity of its cache key, without hashing the key again; anything else is
looked up as SQLAlchemy looks it up, and every lookup answers what SQLAlchemy's would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.util import LRUCache

from lti_tool.extensions import db
from lti_tool.models import Course, Tenant, User
from lti_tool.statement_cache import StatementCache


class Counted:
    """A key element that counts how often it is hashed."""

    def __init__(self) -> None:
        self.hashed = 0

    def __hash__(self) -> int:
        self.hashed += 1
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counted)


def lookup_key(dialect: Any, statement_key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A lookup key as SQLAlchemy makes it: (dialect, the statement's key, column keys,
    schema translation, executemany)."""
    return (dialect, statement_key, (), False, False)


def test_a_key_seen_before_is_found_without_hashing_it():
    cache = StatementCache(capacity=10)
    element = Counted()
    statement_key = ("select", element, ("a", "b"))
    dialect = object()
    cache[lookup_key(dialect, statement_key)] = "compiled"
    hashed = element.hashed
    for _ in range(5):
        assert cache.get(lookup_key(dialect, statement_key)) == "compiled"
    assert element.hashed == hashed


def test_an_equal_key_made_anew_is_looked_up_by_its_hash():
    cache = StatementCache(capacity=10)
    dialect = object()
    cache[lookup_key(dialect, ("select", Counted()))] = "compiled"
    fresh = Counted()
    assert cache.get(lookup_key(dialect, ("select", fresh))) == "compiled"
    assert fresh.hashed == 1


def test_the_rest_of_the_lookup_key_still_counts():
    cache = StatementCache(capacity=10)
    statement_key = ("select", "x")
    mine, other = object(), object()
    cache[lookup_key(mine, statement_key)] = "for mine"
    assert cache.get(lookup_key(other, statement_key)) is None
    assert cache.get((mine, statement_key, ("name",), False, False)) is None
    assert cache.get(lookup_key(mine, statement_key)) == "for mine"


def test_ad_hoc_keys_never_grow_the_index_past_its_bound():
    cache = StatementCache(capacity=10)
    dialect = object()
    kept = ("select", "kept")
    cache[lookup_key(dialect, kept)] = "kept"
    for i in range(100):
        cache[lookup_key(dialect, ("select", i))] = i
        assert len(cache._by_key) <= 20
    assert cache.get(lookup_key(dialect, ("select", 99))) == 99
    # never used again: pruned from the LRU and no longer indexed, so compiled again (nothing
    # found), as SQLAlchemy's own cache would
    assert cache.get(lookup_key(dialect, kept)) is None
    cache.clear()
    assert cache.get(lookup_key(dialect, ("select", 99))) is None
    assert not cache._by_key


def test_keys_of_other_shapes_are_looked_up_as_sqlalchemy_does():
    cache = StatementCache(capacity=10)
    cache["plain"] = 1
    cache[(1,)] = 2
    assert cache.get("plain") == 1
    assert cache.get((1,)) == 2
    assert cache.get("missing", "default") == "default"


def test_the_engine_answers_statements_built_once_from_the_index(app, app_ctx, monkeypatch):
    cache = db.engine.get_execution_options()["compiled_cache"]
    assert isinstance(cache, StatementCache)
    tenant = Tenant(name="Statement cache U")
    db.session.add(tenant)
    db.session.flush()
    db.session.add_all(
        [
            User(tenant_id=tenant.id, issuer="https://sc.example", sub="sc-1", name="Ada"),
            Course(
                tenant_id=tenant.id,
                issuer="https://sc.example",
                context_id="sc-c",
                title="Ada's course",
            ),
        ]
    )
    db.session.flush()
    # two statements built once, of the same shape over different tables
    users = select(User.name).where(User.tenant_id == bindparam("t"))
    courses = select(Course.title).where(Course.tenant_id == bindparam("t"))
    assert db.session.execute(users, {"t": tenant.id}).scalars().all() == ["Ada"]
    assert db.session.execute(courses, {"t": tenant.id}).scalars().all() == ["Ada's course"]
    hashed_lookups = []
    plain_get = LRUCache.get

    def counting(self: Any, key: Any, default: Any = None) -> Any:
        hashed_lookups.append(key)
        return plain_get(self, key, default)

    monkeypatch.setattr(LRUCache, "get", counting)
    for _ in range(3):
        assert db.session.execute(users, {"t": tenant.id}).scalars().all() == ["Ada"]
        assert db.session.execute(courses, {"t": tenant.id}).scalars().all() == ["Ada's course"]
    assert hashed_lookups == []
    # the same shape built anew: looked up by its hash, and answered all the same
    again = select(User.name).where(User.tenant_id == bindparam("t"))
    assert db.session.execute(again, {"t": tenant.id}).scalars().all() == ["Ada"]
    assert len(hashed_lookups) == 1
    db.session.rollback()
