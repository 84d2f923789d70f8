"""OIDC state shared by every worker: one row per login, consumed by its launch.

The row holds the login's issuer, client id and nonce. Consuming it is a single DELETE, so a
replayed id_token, or a consumed nonce re-used after a fresh login, is refused — pylti1p3 2.0
never deletes nonces by itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pylti1p3.session import SessionService
from sqlalchemy import delete, insert, select, update

from ..extensions import db
from ..models import LtiState

CONSUMED = "consumed:"


class DbSessionService(SessionService):
    """pylti1p3's session service over the ``lti_state`` table (SQLAlchemy Core)."""

    def __init__(self, request: Any, lifetime_s: int) -> None:
        super().__init__(request)
        self._lifetime = lifetime_s
        self._nonce: str | None = None

    # login side
    def save_nonce(self, nonce: str) -> None:
        self._nonce = nonce  # stored with the state row, written next

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        value = json.dumps({**params, "nonce": self._nonce})
        db.session.execute(
            insert(LtiState).values(
                key=f"state:{state}", value=value, expires_at=int(time.time()) + self._lifetime
            )
        )

    # launch side
    def peek_state(self, state: str) -> dict[str, Any] | None:
        value = db.session.scalar(
            select(LtiState.value).where(
                LtiState.key == f"state:{state}", LtiState.expires_at >= int(time.time())
            )
        )
        if value is None:
            return None
        if value.startswith(CONSUMED):
            return {"consumed": True}
        return json.loads(value)

    def consume_state(self, state: str) -> bool:
        """Mark the login's row used (kept until it expires, so a replay is named as one);
        False when another request consumed it first."""
        result = db.session.execute(
            update(LtiState)
            .where(LtiState.key == f"state:{state}", ~LtiState.value.startswith(CONSUMED))
            .values(value=CONSUMED + LtiState.value)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def check_nonce(self, nonce: str) -> bool:  # the launch checks the nonce against its state
        return True

    def save_launch_data(self, key: str, jwt_body: Any) -> None:  # kept in the launch table
        return None

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


def purge_expired() -> int:
    """Remove state rows past their lifetime; returns how many."""
    result = db.session.execute(delete(LtiState).where(LtiState.expires_at < int(time.time())))
    return int(getattr(result, "rowcount", 0) or 0)
