"""Panels of the engagement's workspace: what each area (messages, plan, rhythm) shows on the
engagement page (student, faculty, advisor: ``work.engagement``) and on the supervisor's
workspace page (``workspace.supervisor``: a signed link, no account).

An area registers a panel while its domain registers::

    register_panel(app, "messages", "workspace/_messages.html", provide, handle,
                   actions=("send",), order=10)

- ``provide(viewer, engagement)`` returns the template's variables (the template reads them
  as ``panel``), or None to leave the panel out for this viewer;
- a form of the panel names itself ``<panel>.<action>`` in the page's hidden ``form`` field
  (``lti_tool.page_forms``) and posts to the page it is on (``viewer.page_url``);
- ``handle(viewer, engagement, action)`` answers that POST: a response (``finished(...)``, a
  303 back to the page with a confirmation), or a dict of template variables that replace the
  provider's (a form with its errors): the page is shown again with 422 and nothing is saved.

The same panel serves every viewer: ``viewer.role`` is "student", "faculty", "advisor" or
"supervisor"; ``viewer.actor`` is who acts (audits, ``created_by``); the supervisor's
``viewer.grant`` is their link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app, redirect, url_for
from flask.sansio.app import App
from flask.typing import ResponseReturnValue

from lti_tool.actor import Actor
from lti_tool.messages import read_note, sign_note
from lti_tool.unit_of_work import done, refuse

if TYPE_CHECKING:
    from lti_tool.context import LaunchContext

    from ..supervisor.links import LinkGrant
    from ..work.models import Engagement

ROLES = ("student", "faculty", "advisor", "supervisor")


@dataclass(frozen=True)
class Viewer:
    """Who looks at an engagement's workspace, and from which page."""

    role: str
    actor: Actor
    ctx: LaunchContext | None = None  # the launch (student, faculty, advisor)
    grant: LinkGrant | None = None  # the supervisor's link
    token: str = ""  # the supervisor's link token: their page's address
    supervisor_name: str = ""  # the name the engagement gives its supervisor
    # ``page_url`` of each engagement, built once per viewer (every panel's forms post to it)
    _urls: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def read_only(self) -> bool:
        """A teaching assistant in a read-only course may look but not write."""
        return bool(self.ctx is not None and self.ctx.read_only)

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def page_url(self, engagement_id: int, **values: Any) -> str:
        """The address of the page this viewer sees the workspace on (forms post to it)."""
        if values:
            return self._page_url(engagement_id, **values)
        if engagement_id not in self._urls:
            self._urls[engagement_id] = self._page_url(engagement_id)
        return self._urls[engagement_id]

    def _page_url(self, engagement_id: int, **values: Any) -> str:
        if self.is_supervisor:
            return url_for("workspace.supervisor", token=self.token, **values)
        from lti_tool.web import launch_url

        return launch_url("work.engagement", engagement_id=engagement_id, **values)

    @classmethod
    def of_launch(cls, ctx: LaunchContext) -> Viewer:
        return cls(role=ctx.role, actor=ctx.actor, ctx=ctx)


Provider = Callable[[Viewer, "Engagement"], "dict[str, Any] | None"]
Handler = Callable[[Viewer, "Engagement", str], "ResponseReturnValue | dict[str, Any]"]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    provide: Provider
    handle: Handler | None = None
    actions: tuple[str, ...] = ()
    order: int = 50
    roles: tuple[str, ...] = field(default=ROLES)


def register_panel(
    app: App,
    name: str,
    template: str,
    provide: Provider,
    handle: Handler | None = None,
    *,
    actions: tuple[str, ...] = (),
    order: int = 50,
    roles: tuple[str, ...] = ROLES,
) -> None:
    """Add a panel to the workspace (see the module's docstring); ``roles``: who may see it."""
    panels = app.extensions.setdefault("workspace_panels", [])
    panels.append(Panel(name, template, provide, handle, actions, order, roles))
    panels.sort(key=lambda panel: panel.order)


def _registered() -> list[Panel]:
    return list(current_app.extensions.get("workspace_panels", []))


def panels_for(
    viewer: Viewer, engagement: Engagement, replaced: dict[str, dict[str, Any]] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(template, variables) of each panel this viewer sees, in order; ``replaced``: a refused
    panel's variables (its form with errors) by panel name."""
    out = []
    for panel in _registered():
        if viewer.role not in panel.roles:
            continue
        data = panel.provide(viewer, engagement)
        if data is None:
            continue
        data = {**data, **(replaced or {}).get(panel.name, {})}
        out.append((panel.template, {"name": panel.name, **data}))
    return out


def handlers(
    viewer: Viewer,
    load: Callable[[], Engagement],
    show: Callable[[dict[str, dict[str, Any]]], ResponseReturnValue],
) -> dict[str, Callable[[], ResponseReturnValue]]:
    """The page's ``dispatch`` handlers for every panel form this viewer may post: each loads
    the engagement (``load``), runs the panel's handler and, on a refusal, shows the page again
    (``show(replaced)``, which answers 422)."""
    out: dict[str, Callable[[], ResponseReturnValue]] = {}
    for panel in _registered():
        if panel.handle is None or viewer.role not in panel.roles:
            continue
        for action in panel.actions:
            out[f"{panel.name}.{action}"] = _runner(viewer, panel, action, load, show)
    return out


def _runner(
    viewer: Viewer,
    panel: Panel,
    action: str,
    load: Callable[[], Engagement],
    show: Callable[[dict[str, dict[str, Any]]], ResponseReturnValue],
) -> Callable[[], ResponseReturnValue]:
    handle = panel.handle
    if handle is None:
        raise ValueError(f"the panel {panel.name!r} has no handler")

    def run() -> ResponseReturnValue:
        answer = handle(viewer, load(), action)
        if isinstance(answer, dict):
            refuse()
            return show({panel.name: answer})
        return answer

    return run


# --- what several panels read ---------------------------------------------------------------------


@dataclass(frozen=True)
class HourDays:
    """An engagement's hour logs by work day: how many (any state), and the confirmed minutes
    of the days with confirmed logs."""

    logged: dict[dt.date, int]
    confirmed: dict[dt.date, int]


def hour_days(engagement: Engagement) -> HourDays:
    """The engagement's ``HourDays`` for the panels that show them (the checklist: entries
    before the kick-off call; pay), added up from its hour logs, which the engagement page
    has read already (``hour_logs`` reads them once per transaction)."""
    from ..work.services.reads import kept

    # kept with the transaction's other reads: the checklist and pay panels both ask
    return kept("hour_days", engagement, lambda: _hour_days(engagement))


def _hour_days(engagement: Engagement) -> HourDays:
    from ..work.services.hours import hour_logs

    logged: dict[dt.date, int] = {}
    confirmed: dict[dt.date, int] = {}
    for log in hour_logs(engagement):
        day = log.work_date
        logged[day] = logged.get(day, 0) + 1
        if log.status == "confirmed":
            confirmed[day] = confirmed.get(day, 0) + log.minutes
    return HourDays(logged, confirmed)


# --- confirmations -------------------------------------------------------------------------------

_SAID_SALT = "career-credit.workspace.said"


def finished(
    viewer: Viewer, engagement_id: int, message: str, anchor: str = ""
) -> ResponseReturnValue:
    """A panel's action carried out: a 303 back to the viewer's page with the confirmation.

    A launch's page flashes it (delivered without the cookie by the launch's own means); the
    supervisor's page has no launch, so the confirmation travels signed in the address."""
    if not viewer.is_supervisor:
        extra = {"_anchor": anchor} if anchor else {}
        return done(message, "work.engagement", engagement_id=engagement_id, **extra)
    said = sign_note(message, _SAID_SALT)
    target = url_for("workspace.supervisor", token=viewer.token, said=said)
    return redirect(f"{target}#{anchor}" if anchor else target, code=303)


def said(value: str | None) -> str:
    """The confirmation a supervisor's page was sent back with (``finished``), or ""."""
    return read_note(value, _SAID_SALT)
