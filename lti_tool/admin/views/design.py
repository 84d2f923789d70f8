"""The Design system page of the admin area (``/admin/design``, endpoint ``admin.design``,
registered on the area's blueprint; issue 18): every component of templates/_ui.html and
static/css/app.css with realistic examples (tabs, buttons, pills of every tone, progress, a
summary, stat cards, a sortable table, an empty state, a timeline, notices, a form, icons), so an
institution's accessibility reviewer sees the tool's parts, and how they read, in one place.

The page reads nothing from the database: its examples are the constants below. Its two
example forms are GET forms to the page itself (the confirmation of a destructive action and a
form shown with an error); neither changes anything."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...auth import requires
from ...words import STATE_TONES

# (student, listing, hours, last log, state, the state in words): the sortable table's rows.
EXAMPLE_ROWS = (
    (
        "Amara Okafor",
        "Market research for a food co-op",
        "12.5",
        "2026-03-02",
        "in_progress",
        "In progress",
    ),
    ("Chloé Martin", "Volunteer scheduling app", "20", "2026-02-26", "completed", "Completed"),
    (
        "Diego Alvarez",
        "Museum visitor survey",
        "3",
        "2026-03-04",
        "pending_approval",
        "Waiting for approval",
    ),
    (
        "Noor Haddad",
        "Grant application review",
        "8.25",
        "2026-01-30",
        "changes_requested",
        "Changes requested",
    ),
    ("Ben Li", "Social media audit", "0", "", "not_started", "Not started"),
    ("Sofia Rossi", "Bookkeeping clean-up", "16", "2026-02-14", "denied", "Denied"),
)

# One example state per tone, in the order the pills are shown.
TONE_EXAMPLES = (
    ("success", "completed", "Completed"),
    ("info", "in_progress", "In progress"),
    ("warning", "pending_approval", "Waiting for approval"),
    ("danger", "denied", "Denied"),
    ("neutral", "draft", "Draft"),
)

ICON_EXAMPLES = (
    ("briefcase", "Listing"),
    ("clock", "Hours"),
    ("calendar", "Date"),
    ("circle-check", "Done"),
    ("file-text", "Evidence"),
    ("graduation-cap", "Credit"),
    ("users", "Students"),
    ("search", "Search"),
    ("send", "Send"),
    ("triangle-alert", "Warning"),
    ("download", "Download"),
    ("external-link", "Opens elsewhere"),
    ("pencil", "Edit"),
    ("trash-2", "Delete"),
    ("shield-check", "Privacy"),
    ("key-round", "Keys"),
)


def hours_error(value: str) -> str:
    """The example form's check of its hours field: whole quarter hours from 0.25 to 40."""
    try:
        hours = float(value)
    except ValueError:
        return "Enter the hours as a number, for example 1.5."
    if not 0.25 <= hours <= 40 or (hours * 4) % 1:
        return "Enter quarter hours from 0.25 to 40, for example 1.5."
    return ""


def _context() -> dict[str, Any]:
    args = request.args
    name = (args.get("listing_title") or "").strip()
    tried = "listing_title" in args
    # unsubmitted, the form shows a refused value, so the page always shows a field in error
    hours = (args.get("hours") or "").strip() if tried else "0.3"
    title_error = "Enter the listing's title." if tried and not name else ""
    return {
        "rows": EXAMPLE_ROWS,
        "tones": TONE_EXAMPLES,
        "state_count": len(STATE_TONES),
        "icons": ICON_EXAMPLES,
        "deleted": args.get("demo") == "deleted",
        "title_value": name,
        "title_error": title_error,
        "hours_value": hours,
        "hours_error": hours_error(hours),
        "form_saved": tried and not title_error and not hours_error(hours),
    }


@requires("admin", tool_admin=True)
def page() -> ResponseReturnValue:
    """GET: the components; ``demo=deleted`` and ``listing_title``/``hours`` answer the example
    forms."""
    return render_template("admin/design.html", **_context())


def register(bp: Any) -> None:
    """Add the page's route to the admin blueprint (its endpoint keeps the area's name)."""
    bp.add_url_rule("/design", "design", page, methods=["GET"])
