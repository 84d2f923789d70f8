"""Erasure hooks: what a domain must do when a person is pseudonymised or erased beyond the rows
the schema finds (``privacy.schema``) — revoke capability links issued about them, delete files
made from their records (an accreditation export's zip). A domain registers a hook with
``register_erasure_hook`` in its ``register(app)`` (``lti_tool.domains``), so every hook is in
place once the app is created, whichever modules this process has imported.

A hook takes (tenant id, user id) before the person's rows are deleted, flushes only, and
returns counts (never personal data) for the audit entry.
"""

from __future__ import annotations

from collections.abc import Callable

ErasureHook = Callable[[int, int], dict[str, int]]
_hooks: dict[str, ErasureHook] = {}


def register_erasure_hook(name: str) -> Callable[[ErasureHook], ErasureHook]:
    """Register what a domain does when a person is pseudonymised or erased."""

    def register(hook: ErasureHook) -> ErasureHook:
        _hooks[name] = hook
        return hook

    return register


def erasure_hooks() -> dict[str, ErasureHook]:
    """Every registered hook."""
    return dict(_hooks)


def run_erasure_hooks(tenant_id: int, user_id: int) -> dict[str, int]:
    """Run every hook for the person; the counts they return, summed by name."""
    counts: dict[str, int] = {}
    for hook in erasure_hooks().values():
        for key, value in hook(tenant_id, user_id).items():
            if value:
                counts[key] = counts.get(key, 0) + int(value)
    return counts
