"""internships.workspace.messages (see internships/workspace/__init__.py): the engagement's
conversation among its student, its supervisor (by the workspace link), and the faculty
members and advisors who join; attachments, unread counts, batched email notifications."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """This area's panels, blueprint routes, hooks and senders."""
    from lti_tool.home import register_home_panel
    from lti_tool.jobs.runner import register_tick
    from lti_tool.privacy.hooks import register_erasure_hook
    from lti_tool.privacy.retention import register_file_rule

    from ..panels import register_panel
    from . import emails, privacy, views

    # a part of the workspace: its names are workspace.messages.*, its pages /workspace/messages
    app.register_blueprint(views.bp, name_prefix="workspace")
    register_panel(
        app,
        "messages",
        "workspace/messages/_panel.html",
        views.provide,
        views.handle,
        actions=("send", "follow", "unfollow"),
        order=10,
    )
    register_home_panel(
        app, "student", "workspace/messages/_student_panel.html", views.student_panel
    )
    for role in ("faculty", "advisor"):
        register_home_panel(app, role, "workspace/messages/_staff_panel.html", views.staff_panel)
    register_tick("workspace.message_emails", emails.run_tick)
    register_erasure_hook("workspace.messages")(privacy.forget_author)
    register_file_rule("workspace.messages")(privacy.purge_expired_attachments)
