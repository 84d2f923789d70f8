"""How often a process of the sandbox LMS deletes its expired rows (launch hints, single-use
values, access tokens): at most once a minute each, not on every request that adds one. An
expired row is refused by its age wherever it is read, so deleting it a minute later changes
no answer; it only keeps the tables from growing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PURGE_EVERY_S = 60.0


class Purges:
    """When this process last deleted each kind of expired row."""

    def __init__(
        self, every_s: float = PURGE_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s = every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def due(self, kind: str) -> bool:
        """Whether ``kind``'s expired rows should be deleted now (then not again for
        ``every_s`` seconds in this process)."""
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.every_s:
                return False
            self._last[kind] = now
            return True

    def reset(self) -> None:
        """Every kind due again (tests)."""
        with self._lock:
            self._last.clear()


purges = Purges()
