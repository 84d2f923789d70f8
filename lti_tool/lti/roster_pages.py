"""What the pages showing the kept course roster share (the faculty home, the credit roster):
the Refresh roster button's answer. Inside an LMS iframe there is no address bar to reload
with, so the button is how a person asks for a new read."""

from __future__ import annotations

from flask import abort, flash, redirect
from flask.typing import ResponseReturnValue

from ..context import LaunchContext
from ..forms import ButtonForm
from ..unit_of_work import commit_now, done
from ..web import launch_url
from . import rosters

NOT_READ_HINT = (
    "Try Refresh roster again in a few minutes; if it keeps failing, ask your LMS administrator "
    "to check that Career Credit may read the course roster (Names and Role Provisioning "
    "Services)."
)


def refresh_now(ctx: LaunchContext, endpoint: str) -> ResponseReturnValue:
    """The Refresh roster button: read the course's roster from the LMS in this request, then
    say on the page at ``endpoint`` how it went."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    commit_now()  # the LMS is called next: nothing this request wrote waits on it
    outcome = rosters.refresh_roster(ctx)
    if outcome == "refreshed":
        count = len(rosters.kept_roster(ctx).members)
        noun = "person" if count == 1 else "people"
        return done(f"The roster was read from the LMS just now: {count} {noun}.", endpoint)
    if outcome == "busy":
        flash("The roster is being read from the LMS right now: it shows here in a moment.", "info")
    elif outcome == "unavailable":
        flash(
            "The LMS did not share the course roster with this launch, so it cannot be read.",
            "error",
        )
    else:
        kept = rosters.kept_roster(ctx)
        shown = f" The roster read {kept.age} is still shown." if kept.kept else ""
        flash(
            f"The roster could not be read from the LMS: {kept.error}{shown} {NOT_READ_HINT}",
            "error",
        )
    return redirect(launch_url(endpoint), code=303)
