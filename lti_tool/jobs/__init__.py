"""The outbox and the job runner: everything sent to the LMS with a promise attached (a grade,
an outcome rating) is written as an outbox row in the same transaction as the change that
causes it, then delivered by a runner that claims rows with a lease, retries transient failures
with backoff, and records each outcome only while the lease is still its own.

The outbox table is the source of truth whatever runs it: the in-process runner thread
(``JOB_RUNNER = "thread"``, the embedded default), Celery workers (``"celery"``), the CLI
(``flask jobs sync``) or a test calling ``drain``. Delivery is at least once; senders make the
effect exactly once (an AGS score carries the award's own timestamp, so a repeat is a no-op).
"""

from .delivery import (
    RetryPolicy,
    claim,
    claim_messages,
    new_owner,
    record,
    record_many,
    release,
    sweep,
)
from .drain import DrainStats, drain, send_one
from .models import FAILED, PENDING, RETRY, SENDING, SENT, STATUSES, SUPERSEDED, OutboxMessage
from .outbox import (
    Message,
    MessageState,
    NewMessage,
    Outcome,
    coalesce_key,
    enqueue,
    enqueue_from_select,
    enqueue_many,
    list_messages,
    messages_for,
    register_sender,
    retry,
    status_counts,
)
from .runner import Runner, init_app, kick, runner_mode, start_runner

__all__ = [
    "FAILED",
    "PENDING",
    "RETRY",
    "SENDING",
    "SENT",
    "STATUSES",
    "SUPERSEDED",
    "DrainStats",
    "Message",
    "MessageState",
    "NewMessage",
    "OutboxMessage",
    "Outcome",
    "RetryPolicy",
    "Runner",
    "claim",
    "claim_messages",
    "coalesce_key",
    "drain",
    "enqueue",
    "enqueue_from_select",
    "enqueue_many",
    "init_app",
    "kick",
    "list_messages",
    "messages_for",
    "new_owner",
    "record",
    "record_many",
    "register_sender",
    "release",
    "retry",
    "runner_mode",
    "send_one",
    "start_runner",
    "status_counts",
    "sweep",
]
