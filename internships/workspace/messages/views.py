"""The conversation's pages (blueprint ``workspace.messages``, ``/workspace/messages``) and its
workspace panel.

- the panel "messages" on the engagement page (student, faculty, advisor) and on the
  supervisor's workspace page: the latest messages (newest last), the unread count in its
  heading, the post form with an optional file, "Follow this conversation"; opening it marks
  the conversation read;
- the record of a conversation (every message), for a launch and for the supervisor's link;
- attachments, served only to those who may read the conversation;
- a faculty member's (their course's) or an advisor's (every) conversations, with counts;
- the home panels: a student's unread messages, faculty's and advisors' way to their list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import ExemptionScope
from werkzeug.datastructures import FileStorage

from lti_tool.auth import current_launch, public, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import PolicyViolationError
from lti_tool.ratelimit import limiter, public_limit
from lti_tool.unit_of_work import field_errors, refuse
from lti_tool.web import launch_url

from ...supervisor.links import LinkError
from ...supervisor.views import link_error
from ...work.models import Engagement
from ...work.services import engagements as eng
from ...work.views import attachment, engagement_urls, student_work
from .. import panels
from ..blank_forms import BlankForm
from ..views import supervisor_viewer
from . import lists, services
from .forms import FollowForm, MessageForm
from .text import linkify

bp = Blueprint("messages", __name__, url_prefix="/workspace/messages")
bp.register_error_handler(LinkError, link_error)
# A part of the workspace by name (workspace.messages), but not held to the public limit of
# the supervisor's page: launched pages never are. The link pages below carry the public
# limit themselves (``_link_page``).
limiter.exempt(bp, flags=ExemptionScope.ANCESTORS)


def _link_page(view: Any) -> Any:
    """A supervisor's link page: the public rate limit, checked once per request by the
    workspace blueprint's own check (this blueprint is the workspace's by name; the limiter
    checks only where asked, ``auto_check`` being off)."""
    checked = limiter.limit(public_limit)(view)
    checked.rate_limit = public_limit  # what lti_tool.ratelimit.is_limited reads
    return checked


ANCHOR = "messages"


@bp.app_template_filter("message_html")
def _message_html(text: str) -> Any:
    return linkify(text)


@bp.app_template_global("unread_messages")
def _unread_messages(engagements: list[Engagement]) -> dict[int, int]:
    """Each engagement's messages the launch's person has not read (an engagement list's
    column: ``templates/work/overview.html``)."""
    return {r.engagement.id: r.unread for r in lists.conversations(current_launch(), engagements)}


def reader_of(viewer: panels.Viewer, engagement: Engagement) -> services.Reader:
    if viewer.is_supervisor or viewer.ctx is None:
        return services.Reader.supervisor(engagement)
    return services.Reader.of_launch(viewer.ctx)


def _file_url(viewer: panels.Viewer) -> Any:
    if viewer.is_supervisor:
        return lambda m: url_for(
            "workspace.messages.supervisor_file", token=viewer.token, message_id=m.id
        )
    return lambda m: launch_url("workspace.messages.file", message_id=m.id)


def _record_url(viewer: panels.Viewer, engagement: Engagement) -> str:
    if viewer.is_supervisor:
        return url_for("workspace.messages.supervisor_record", token=viewer.token)
    return launch_url("workspace.messages.record", engagement_id=engagement.id)


# --- the panel -----------------------------------------------------------------------------------


def provide(viewer: panels.Viewer, engagement: Engagement) -> dict[str, Any]:
    """The panel's variables; opening it marks the conversation read up to its newest."""
    reader = reader_of(viewer, engagement)
    shown, seen = services.latest_and_read(engagement, reader)
    total = services.message_count(engagement) if len(shown) >= services.SHOWN else len(shown)
    unread = services.unread_among(engagement, reader, shown, seen)
    if shown and shown[-1].id > seen:
        services.mark_read(engagement, reader, shown[-1].id)
    joinable = reader.kind in services.JOINING and not reader.read_only
    own = services.own_ids(shown, reader)
    return {
        "messages": shown,
        "new_ids": {m.id for m in shown if m.id > seen and m.id not in own},
        "total": total,
        "unread": unread,
        "seen": seen,
        "reader": reader,
        "refusal": services.why_not_post(engagement, reader),
        # empty (rendered once per process); a refused one comes back through ``handle``
        "form": BlankForm(MessageForm),
        "follow_form": BlankForm(FollowForm) if joinable else None,
        "following": joinable and services.is_participant(engagement, reader),
        "joinable": joinable,
        "page_url": viewer.page_url(engagement.id),
        "record_url": _record_url(viewer, engagement),
        "file_url": _file_url(viewer),
        "lid": viewer.ctx.launch_id if viewer.ctx is not None else "",
    }


def _read_file(storage: Any) -> tuple[bytes | None, str]:
    """The uploaded bytes (at most the limit + 1, so an oversize file is refused cheaply)."""
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None, ""
    limit = int(current_app.config["DELIVERABLE_MAX_BYTES"])
    return storage.stream.read(limit + 1), storage.filename


def handle(
    viewer: panels.Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """The panel's forms: send a message, follow or stop following the conversation."""
    reader = reader_of(viewer, engagement)
    if action in ("follow", "unfollow"):
        if not FollowForm().validate_on_submit():
            abort(400)
        try:
            services.follow(viewer.actor, engagement, reader, on=action == "follow")
        except PolicyViolationError as exc:
            refuse()
            return {"follow_error": exc.message}
        said = (
            "You follow this conversation: new messages reach you by email."
            if action == "follow"
            else "You no longer follow this conversation."
        )
        return panels.finished(viewer, engagement.id, said, ANCHOR)
    form = MessageForm()
    if form.validate_on_submit():
        data, filename = _read_file(form.file.data)
        try:
            services.post_message(
                viewer.actor,
                engagement,
                reader,
                form.body.data or "",
                data=data,
                filename=filename,
                origin=request.host_url,
            )
        except services.MessageInvalidError as exc:
            field_errors(form, exc)
        except PolicyViolationError as exc:
            refuse()
            form.form_errors.append(exc.message)
        else:
            return panels.finished(viewer, engagement.id, "Message sent.", ANCHOR)
    return {"form": form}


# --- the record and the attachments --------------------------------------------------------------


@bp.get("/engagements/<int:engagement_id>")
@requires("student", "faculty", "advisor")
def record(engagement_id: int) -> ResponseReturnValue:
    """Every message of one engagement's conversation (part of the academic record)."""
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    return render_template(
        "workspace/messages/record.html",
        engagement=engagement,
        messages=services.all_messages(engagement),
        file_url=_file_url(panels.Viewer.of_launch(ctx)),
    )


@bp.get("/files/<int:message_id>")
@requires("student", "faculty", "advisor")
def file(message_id: int) -> ResponseReturnValue:
    """A message's attachment, for those who may read its conversation."""
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, services.message_engagement_id(ctx.tenant_id, message_id))
    message = services.get_message(engagement, message_id)
    return attachment(message.file_path, message.filename, message.content_type)


@bp.get("/<token>/all")
@public
@_link_page
def supervisor_record(token: str) -> ResponseReturnValue:
    """Every message of the conversation, through the supervisor's workspace link."""
    viewer, engagement = supervisor_viewer(token)
    return render_template(
        "workspace/messages/record_supervisor.html",
        engagement=engagement,
        messages=services.all_messages(engagement),
        file_url=_file_url(viewer),
        back_url=viewer.page_url(engagement.id),
    )


@bp.get("/<token>/files/<int:message_id>")
@public
@_link_page
def supervisor_file(token: str, message_id: int) -> ResponseReturnValue:
    """A message's attachment, through the supervisor's workspace link (its engagement's only)."""
    _viewer, engagement = supervisor_viewer(token)
    message = services.get_message(engagement, message_id)
    return attachment(message.file_path, message.filename, message.content_type)


# --- lists and home panels -----------------------------------------------------------------------


@bp.get("/conversations")
@requires("faculty", "advisor")
def conversations() -> ResponseReturnValue:
    """The conversations a faculty member's course (or, for an advisor, the institution) has,
    with their messages and those unread, the latest activity first."""
    ctx = current_launch()
    rows = lists.conversations(ctx, eng.list_engagements(ctx))
    rows.sort(key=lambda r: (r.latest_at is not None, r.latest_at or 0, r.engagement.id))
    return render_template("workspace/messages/conversations.html", rows=rows[::-1])


def student_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The student's unread messages, engagement by engagement (nothing when none): counted
    with the student's work, which the home reads once."""
    rows = lists.student_unread(student_work(ctx).engagements)
    if not rows:
        return None
    urls = engagement_urls(ctx)
    return {"rows": rows, "unread": sum(r.unread for r in rows), "engagement_urls": urls}


def staff_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """Faculty's and advisors' way to their conversations, with what is unread."""
    unread, active = lists.summary(ctx)
    return {"unread": unread, "active": active}
