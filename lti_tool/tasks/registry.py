"""The kinds of task: each domain registers its own in ``register(app)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..actor import Actor
from .lifecycle import count_in_progress


@dataclass(frozen=True)
class TaskKind:
    """One kind of task: its table, how to run one, and how the CLI describes one."""

    name: str  # the CLI's name for the kind ("imports", "exports")
    model: Any  # the mapped class of its rows
    run: Callable[[int], Any]  # claim and run one task to its end; None when another has it
    describe: Callable[[Any], str]  # one line about a task, for the CLI
    batch: int = 100  # at most this many tasks per ``run_queued``

    def in_progress(self, actor: Actor) -> int:
        """The person's tasks of this kind queued or running (counted for JOBS_PER_USER)."""
        return count_in_progress(actor, self.model)


_kinds: dict[str, TaskKind] = {}


def register_task_kind(kind: TaskKind) -> TaskKind:
    """Register ``kind`` (idempotent per name); its tasks count in the per-person cap
    (``workpool.ensure_job_capacity``)."""
    _kinds[kind.name] = kind
    return kind


def kinds() -> list[TaskKind]:
    """Every registered kind, in registration order."""
    return list(_kinds.values())


def get_kind(name: str) -> TaskKind:
    """The kind called ``name``; ValueError (a person's mistake on the CLI) when none is."""
    try:
        return _kinds[name]
    except KeyError:
        known = ", ".join(_kinds) or "none"
        raise ValueError(f"unknown kind of task {name!r} (known: {known})") from None
