"""The frameworks blueprint (``/frameworks``) and what its route modules share: who reads and
who edits, the layout's helpers and the home panel. The routes are in ``frameworks.py``
(frameworks and their items, CASE import and export), ``lms.py`` (course outcomes from the
LMS, the Canvas authorisation) and ``crosswalk.py``; ``accreditation.register`` imports them.
The ``flask frameworks`` commands are in ``../commands.py``.

The pages were under ``/outcomes`` until issue 15; of their addresses one was handed out beyond
the tool, the Canvas OAuth redirect URI that Canvas developer keys name exactly
(``/outcomes/lms/canvas/callback``, see ``lms.py``): ``OLD_ADDRESSES`` keeps it, as a permanent
redirect to the callback here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from lti_tool.context import LaunchContext
from lti_tool.ratelimit import public_limit
from lti_tool.redirects import moved

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")
OLD_ADDRESSES = moved(
    "frameworks_moved",
    "/outcomes",
    {"/lms/canvas/callback": "frameworks.canvas_callback"},
    public_limit,
)

FACULTY = ("faculty",)
READERS = ("faculty", "advisor", "admin")
EDITORS = ("advisor", "admin")
KIND_LABELS = {
    "competencies": "Career competencies",
    "program": "Program outcomes",
    "course": "Course outcomes",
}


def home_panel(ctx: LaunchContext) -> dict[str, Any]:
    return {"role": ctx.role}


def can_edit(ctx: LaunchContext) -> bool:
    """Career advisors and tool administrators edit frameworks; faculty read them."""
    return ctx.role in EDITORS or ctx.is_tool_admin


def layout_helpers() -> dict[str, Any]:
    """What ``frameworks/layout.html`` reads (the evidence pages share the layout)."""
    ctx = g.get("launch")
    return {
        "can_edit": can_edit(ctx) if ctx else False,
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
    }


bp.context_processor(layout_helpers)
