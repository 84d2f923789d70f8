"""OIDC state shared by every worker: one record per login, consumed by its launch.

The record holds the login's issuer, client id, nonce and what a restart needs. Consuming it
marks it used in one atomic statement, so a replayed id_token, or a consumed nonce re-used after
a fresh login, is refused — pylti1p3 2.0 never deletes nonces by itself. Records live in the
database (default) or in Redis (``LTI_STATE_REDIS_URL``); either way every worker sees them.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

from pylti1p3.session import SessionService
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from ..extensions import db
from ..models import LtiState

CONSUMED = "consumed:"


class StateStore(Protocol):
    def put(self, key: str, value: str, ttl_s: int) -> None: ...

    def get(self, key: str) -> str | None: ...

    def consume(self, key: str) -> bool: ...


_T = LtiState.__table__
_PUT = insert(_T).values(key=bindparam("k"), value=bindparam("v"), expires_at=bindparam("exp"))
_GET = select(_T.c.value).where(_T.c.key == bindparam("k"), _T.c.expires_at >= bindparam("now"))
_CONSUME = (
    update(_T)
    .where(_T.c.key == bindparam("k"), ~_T.c.value.startswith(CONSUMED))
    .values(value=CONSUMED + _T.c.value)
)


class DatabaseStateStore:
    """The ``lti_state`` table, through SQLAlchemy Core (the launch is the hot path), on the
    request's session or on a connection of the caller's (the login's own)."""

    def __init__(self, connection: Connection | None = None) -> None:
        self.connection = connection

    def _conn(self) -> Connection:
        return self.connection or db.session.connection()

    def put(self, key: str, value: str, ttl_s: int) -> None:
        self._conn().execute(_PUT, {"k": key, "v": value, "exp": int(time.time()) + ttl_s})

    def get(self, key: str) -> str | None:
        return self._conn().execute(_GET, {"k": key, "now": int(time.time())}).scalar()

    def consume(self, key: str) -> bool:
        result = self._conn().execute(_CONSUME, {"k": key})
        return bool(getattr(result, "rowcount", 0) == 1)


_CONSUME_LUA = """
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. v, 'KEEPTTL')
return 1
"""


class RedisStateStore:
    """Redis keys with a TTL; consuming is one Lua script, atomic across workers."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        self._consume = self.client.register_script(_CONSUME_LUA)

    def put(self, key: str, value: str, ttl_s: int) -> None:
        self.client.set(f"cc:{key}", value, ex=ttl_s)

    def get(self, key: str) -> str | None:
        value = self.client.get(f"cc:{key}")
        return str(value) if value is not None else None

    def consume(self, key: str) -> bool:
        return bool(self._consume(keys=[f"cc:{key}"], args=[CONSUMED]))


_redis_stores: dict[str, RedisStateStore] = {}
_lock = threading.Lock()


def state_store(redis_url: str | None, connection: Connection | None = None) -> StateStore:
    """The configured store; one Redis connection pool per process and URL. The database's
    uses ``connection`` when given, else the request's session."""
    if not redis_url:
        return DatabaseStateStore(connection)
    with _lock:
        if redis_url not in _redis_stores:
            _redis_stores[redis_url] = RedisStateStore(redis_url)
        return _redis_stores[redis_url]


class DbSessionService(SessionService):
    """pylti1p3's session service over a shared state store."""

    def __init__(self, request: Any, lifetime_s: int, store: StateStore | None = None) -> None:
        super().__init__(request)
        self._lifetime = lifetime_s
        self._store = store or DatabaseStateStore()
        self._nonce: str | None = None

    # login side
    def save_nonce(self, nonce: str) -> None:
        self._nonce = nonce  # stored with the state record, written next

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        value = json.dumps({**params, "nonce": self._nonce})
        self._store.put(f"state:{state}", value, self._lifetime)

    # launch side
    def peek_state(self, state: str) -> dict[str, Any] | None:
        value = self._store.get(f"state:{state}")
        if value is None:
            return None
        if value.startswith(CONSUMED):
            return {"consumed": True}
        return json.loads(value)

    def consume_state(self, state: str) -> bool:
        """Mark the login's record used (kept until it expires, so a replay is named as one);
        False when another request consumed it first."""
        return self._store.consume(f"state:{state}")

    def check_nonce(self, nonce: str) -> bool:  # the launch checks the nonce against its state
        return True

    def save_launch_data(self, key: str, jwt_body: Any) -> None:  # kept in the launch table
        return None

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


def purge_expired() -> int:
    """Remove database state records past their lifetime (Redis expires its own)."""
    result = db.session.execute(delete(LtiState).where(LtiState.expires_at < int(time.time())))
    return int(getattr(result, "rowcount", 0) or 0)
