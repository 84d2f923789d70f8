"""Closing the loop: what the program will change for an outcome, dated, with its author."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from accreditation.frameworks import services as fw_services
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.services import audit

from ..models import LoopNote

MAX_NOTE_CHARS = 4000


def add_note(
    ctx: LaunchContext, framework_id: int, item_id: int, body: str, term: str = ""
) -> LoopNote:
    """Record what the program will change for an outcome (dated, with its author); flushes."""
    fw = fw_services.get_framework(ctx.tenant_id, framework_id)
    if item_id not in {item.id for item in fw.items}:
        raise NotFoundError("That outcome is not in this framework.")
    body = body.strip()
    if not body:
        raise PolicyViolationError("Write what the program will change.")
    if len(body) > MAX_NOTE_CHARS:
        raise PolicyViolationError(f"A note holds at most {MAX_NOTE_CHARS} characters.")
    note = LoopNote(
        tenant_id=ctx.tenant_id,
        framework_id=fw.id,
        item_id=item_id,
        term=term[:255],
        body=body,
        author_id=ctx.user_id,
        author=(ctx.user_name or ctx.actor.name)[:255],
    )
    db.session.add(note)
    db.session.flush()
    audit.record(ctx.actor, "attainment.note", ctx.tenant_id, note_id=note.id, item_id=item_id)
    return note


def notes(tenant_id: int, framework_id: int) -> dict[int, list[LoopNote]]:
    """The framework's closing-the-loop notes per outcome, newest first."""
    out: dict[int, list[LoopNote]] = defaultdict(list)
    for note in db.session.scalars(
        select(LoopNote)
        .where(LoopNote.tenant_id == tenant_id, LoopNote.framework_id == framework_id)
        .order_by(LoopNote.created_at.desc(), LoopNote.id.desc())
    ):
        out[note.item_id].append(note)
    return out
