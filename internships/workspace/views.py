"""The workspace blueprint (``/workspace``): the supervisor's page for one
engagement, reached by a signed "workspace" link (no LMS account). Unlike the hours and
evaluation links, a submission never spends it: it opens the page until it expires, the
engagement closes or the career center revokes it. The page shows every workspace panel
(``panels``) for the supervisor; its forms post back to it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import public
from lti_tool.page_forms import dispatch
from lti_tool.ratelimit import limited

from ..supervisor.links import LinkError, open_engagement_link
from ..supervisor.views import link_error
from ..work.models import Engagement
from . import panels
from .messages.services import Reader
from .page_lists import read_page_lists

bp = Blueprint("workspace", __name__, url_prefix="/workspace")
limited(bp)  # the public rate limit, as every supervisor page
bp.register_error_handler(LinkError, link_error)


def supervisor_viewer(token: str, *, for_update: bool = False) -> tuple[panels.Viewer, Engagement]:
    """The supervisor behind a workspace link, and the engagement it opens (LinkError if the
    link cannot be used)."""
    grant, engagement = open_engagement_link(token, "workspace", for_update=for_update)
    name = engagement.supervisor_name or "Supervisor"
    viewer = panels.Viewer(
        role="supervisor",
        actor=grant.actor(name),
        grant=grant,
        token=token,
        supervisor_name=name,
    )
    return viewer, engagement


@bp.route("/<token>", methods=["GET", "POST"])
@public
def supervisor(token: str) -> ResponseReturnValue:
    """The supervisor's workspace page for one engagement."""
    viewer, engagement = supervisor_viewer(token)

    def show(replaced: dict[str, dict[str, Any]], status: int = 422) -> ResponseReturnValue:
        read_page_lists(engagement, Reader.supervisor(engagement))  # the panels' lists, at once
        return render_template(
            "workspace/supervisor.html",
            engagement=engagement,
            viewer=viewer,
            panels=panels.panels_for(viewer, engagement, replaced),
            said=panels.said(request.args.get("said")),
        ), status

    def load() -> Engagement:
        return supervisor_viewer(token, for_update=True)[1]

    posted = dispatch(**panels.handlers(viewer, load, show))
    return posted or show({}, 200)
