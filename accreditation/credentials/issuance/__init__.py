"""accreditation.credentials.issuance (see accreditation/credentials/__init__.py): what is
issued and when — the Open Badges 3.0 credentials of completed engagements and credit awards,
the CLR 2.0 record, revocation and reissue on a correction, bulk issuing in the background.

- ``facts``: what a credential states, read from the records;
- ``documents``: the OB 3.0 / CLR 2.0 JSON built from those facts;
- ``validation``: the data models' required properties, checked before signing;
- ``issuing``: issue, revoke and reissue one credential;
- ``sync``: what is missing (idempotent), issued in chunks;
- ``batch``: the tick hook and the "credentials" task kind;
- ``services``: what the pages call; ``commands``: ``flask credentials issue``;
- ``erasure``: revoking an erased student's credentials.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The tick hook, the task kind, the erasure hook and ``flask credentials issue``."""
    from flask.cli import AppGroup

    from lti_tool import tasks
    from lti_tool.cli import cli_group
    from lti_tool.jobs.runner import register_tick
    from lti_tool.privacy.hooks import register_erasure_hook

    from . import batch, erasure
    from .commands import COMMANDS

    register_tick("credentials.issue", batch.run_scheduled)
    batch.listen_for_due_work()
    tasks.register_task_kind(batch.task_kind())
    register_erasure_hook("credentials.issued")(erasure.revoke_credentials_of_student)
    group = app.cli.commands.get("credentials")
    if isinstance(group, AppGroup):  # the proof area made it
        for command in COMMANDS:
            group.add_command(command)
    else:
        app.cli.add_command(cli_group("credentials", *COMMANDS))
