"""The conversation's forms. The same panel form serves a launch (CSRF from the launch id,
which the form carries as ``lid``) and the supervisor's link page (CSRF from the session
cookie), so it is a ``CheckedForm`` as the supervisor's forms are."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import SubmitField, TextAreaField

from internships.work.services.uploads import DELIVERABLE_TYPES_TEXT
from lti_tool.forms import CheckedForm

from .models import BODY_MAX


class MessageForm(CheckedForm):
    body = TextAreaField(
        "Your message",
        id="message-body",
        description=f"Plain text, at most {BODY_MAX:,} characters; web addresses become links.",
    )
    file = FileField(
        "Attach a file (optional)",
        id="message-file",
        description=f"{DELIVERABLE_TYPES_TEXT}; at most 20 MB.",
    )
    submit = SubmitField("Send message", id="message-send")


class FollowForm(CheckedForm):
    submit = SubmitField("Follow this conversation", id="message-follow")
