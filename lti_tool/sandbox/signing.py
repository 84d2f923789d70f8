"""The sandbox platform's signing keys as it signs with them: loaded (decrypted and parsed) once
per process and found by ``kid``; the newest key's kid is read beside the rows a launch or an
authorization reads anyway, so signing costs no statement of its own."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..keys import parsed_private_key
from .errors import SandboxError
from .models import SandboxKey


@dataclass(frozen=True)
class PlatformKey:
    """A sandbox signing key as it signs: its key id, public JWK and parsed private key."""

    kid: str
    public_jwk: dict[str, Any]
    private_key: Any  # what PyJWT signs with (parsing a PEM costs 26 ms of CPU)


class PlatformKeys:
    """The sandbox's signing keys by ``kid``, loaded (decrypted and parsed) once per process.
    A key's row never changes once written and its ``kid`` is random, so a kid read from the
    database names one key for good: a new key (a rotation, a reseeded database) is a new kid
    and is loaded when the newest kid first names it."""

    def __init__(self, size: int = 8) -> None:
        self._lock = threading.Lock()
        self._by_kid: dict[str, PlatformKey] = {}
        self._size = size

    def clear(self) -> None:
        with self._lock:
            self._by_kid.clear()

    def get(self, kid: str) -> PlatformKey:
        """The key with this kid (a ``SandboxError`` when no row has it)."""
        with self._lock:
            key = self._by_kid.get(kid)
        if key is not None:
            return key
        row = db.session.scalar(select(SandboxKey).where(SandboxKey.kid == kid))
        if row is None:
            raise _no_key()
        key = PlatformKey(row.kid, dict(row.public_jwk), parsed_private_key(row.private_pem))
        with self._lock:
            if len(self._by_kid) >= self._size:
                self._by_kid.clear()
            self._by_kid[kid] = key
        return key


platform_keys = PlatformKeys()
# The newest key's kid, read beside a launch's or an authorization's other rows.
_NEWEST = select(SandboxKey.kid).order_by(SandboxKey.id.desc()).limit(1)
NEWEST_KID = _NEWEST.scalar_subquery()


def _no_key() -> SandboxError:
    return SandboxError(
        "The sandbox has no platform key yet: run "
        "`flask --app lti_tool sandbox seed` or open /sandbox first."
    )


_UNREAD = "?"  # current_key's newest kid not read by the caller


def current_key(newest_kid: str | None = _UNREAD) -> PlatformKey:
    """The sandbox's signing key, the newest (a ``SandboxError`` before the first seed).
    ``newest_kid``: its kid as the caller read it (``NEWEST_KID``) with its own rows."""
    if newest_kid == _UNREAD:
        newest_kid = db.session.scalar(_NEWEST)
    if newest_kid is None:
        raise _no_key()
    return platform_keys.get(newest_kid)
