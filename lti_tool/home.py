"""Role homes (``/home``, blueprint ``home``, templates ``home/``): where a launch lands. Each
is a real page for its person; domains add panels to them (``register_home_panel``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, url_for
from flask.sansio.app import App
from flask.typing import ResponseReturnValue

from .auth import current_launch, requires
from .context import LaunchContext
from .forms import ButtonForm
from .lti.roster_pages import refresh_now
from .lti.rosters import show_roster
from .words import ROLE_LABELS

bp = Blueprint("home", __name__, url_prefix="/home")

PanelProvider = Callable[[LaunchContext], "dict[str, Any] | None"]


def register_home_panel(app: App, role: str, template: str, provider: PanelProvider) -> None:
    """Let a domain module add a panel to a role's home (called while its blueprint registers:
    the core never imports domain modules). ``provider(ctx)`` returns the template's variables,
    or None to leave the panel out."""
    app.extensions.setdefault("home_panels", []).append((role, template, provider))


def _panels(ctx: LaunchContext) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for role, template, provider in current_app.extensions.get("home_panels", []):
        if role == ctx.role and (data := provider(ctx)) is not None:
            out.append((template, data))
    return out


LTI_ROLE_NAMES = {
    "Learner": "Student",
    "Instructor": "Instructor",
    "Mentor": "Observer",
    "TeachingAssistant": "Teaching assistant",
    "ContentDeveloper": "Designer",
    "Administrator": "Administrator",
}


@bp.app_template_filter("role_names")
def role_names(roles: tuple[str, ...]) -> str:
    """'Teaching assistant, Instructor' from LTI role URIs, the most specific first."""
    names = []
    for role in sorted(roles, key=lambda r: "/membership/" not in r):  # sub-roles first
        short = role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        name = LTI_ROLE_NAMES.get(short, short)
        if name not in names:
            names.append(name)
    return ", ".join(names)


def role_context() -> dict[str, Any]:
    """``role_label`` for every page: the launched person's role in words (empty while an
    error page renders before the launch is known)."""
    ctx = g.get("launch")
    return {"role_label": ROLE_LABELS.get(ctx.role, ctx.role) if ctx else ""}


@bp.get("/")
@requires("student", "faculty", "advisor", "admin", "observer")
def index() -> ResponseReturnValue:
    ctx = current_launch()
    return redirect(url_for(landing_endpoint(ctx.role, ctx.placement), lid=ctx.launch_id), 303)


def landing_endpoint(role: str, placement: str | None) -> str:
    """The page a launch lands on: the administrator's pages, the board for the board's
    placement, else the role's home (the launch answers with it: ``lti.landing``)."""
    if role == "admin":
        return "admin.index"
    if placement == "board" and role in ("student", "faculty", "advisor"):
        return "internships.board"
    return f"home.{role}"


@bp.get("/student")
@requires("student")
def student() -> ResponseReturnValue:
    ctx = current_launch()
    panels = _panels(ctx)
    return render_template(
        "home/student.html",
        role_label=ROLE_LABELS["student"],
        panels=panels,
        home_data=dict(panels),  # by template: a panel may read another's (work reads credit's)
    )


@bp.get("/faculty")
@requires("faculty")
def faculty() -> ResponseReturnValue:
    ctx = current_launch()
    label = "Teaching assistant (read-only)" if ctx.read_only else ROLE_LABELS["faculty"]
    return render_template(
        "home/faculty.html",
        role_label=label,
        roster=show_roster(ctx),  # as kept: a stale one is read again in the background
        refresh_form=ButtonForm(),
        panels=_panels(ctx),
    )


@bp.post("/faculty/roster")
@requires("faculty")
def refresh_roster() -> ResponseReturnValue:
    """The Refresh roster button: the course's roster read from the LMS now."""
    return refresh_now(current_launch(), "home.faculty")


@bp.get("/advisor")
@requires("advisor")
def advisor() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "home/advisor.html", role_label=ROLE_LABELS["advisor"], panels=_panels(ctx)
    )


@bp.get("/observer")
@requires("observer")
def observer() -> ResponseReturnValue:
    return render_template("home/observer.html", role_label=ROLE_LABELS["observer"])
