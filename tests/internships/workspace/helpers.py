"""Helpers of the workspace tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.notify.models import EmailMessage


def workspace_link(app, to: str) -> str:
    """The path of the latest workspace link emailed to ``to``."""
    with app.app_context():
        body = db.session.scalars(
            select(EmailMessage.body)
            .where(EmailMessage.to_address == to)
            .order_by(EmailMessage.id.desc())
        ).first()
    assert body, f"no email to {to}"
    match = re.search(r"https?://[^\s]+(/workspace/[^\s]+)", body)
    assert match, body
    return match.group(1)
