"""internships.workspace: the engagement as the place where the project happens (issue 20).

Three areas, each a package with ``MODELS``-listed models and a ``register(app)``:

- ``messages``: the engagement's conversation (student, supervisor by link, faculty, advisor),
  attachments, unread counts, batched email notifications;
- ``plan``: the onboarding checklist, milestones and the student's calendar feed (iCalendar);
- ``rhythm``: weekly check-ins, reminders through the outbox, at-risk reasons and the
  student's workload across engagements.

Each area shows itself on the engagement page and on the supervisor's workspace page as a
panel (``panels.register_panel``): the engagement page's view and the supervisor's page render
every panel whose provider returns data, and hand a POST naming one of a panel's forms to the
panel's handler."""

from __future__ import annotations

from flask import Flask

MODELS = (
    "internships.workspace.messages.models",
    "internships.workspace.plan.models",
    "internships.workspace.rhythm.models",
)


def register(app: Flask) -> None:
    """The workspace's blueprint (the supervisor's workspace page), and each area's."""
    from . import views
    from .messages import register as register_messages
    from .plan import register as register_plan
    from .rhythm import register as register_rhythm

    register_messages(app)
    register_plan(app)
    register_rhythm(app)
    app.register_blueprint(views.bp)  # after the areas have added their routes to it
