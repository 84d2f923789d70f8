"""Shortcuts of the conversation's tests: an engaged student (through the pages), the
supervisor's workspace link, posting on the engagement page or the supervisor's page, and
reading the rows back."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from internships.supervisor.links import issue_link
from internships.work.models import Engagement
from internships.workspace.messages.models import WorkspaceMessage
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token
from tests.internships.work.helpers import PDF, public_client

__all__ = ["PDF", "page_of", "post", "public_client", "supervisor_path", "supervisor_post"]


def supervisor_path(app: Any, engagement_id: int) -> str:
    """A fresh workspace link for the engagement's supervisor (as an advisor would send)."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        actor = Actor(engagement.tenant_id, "test advisor")
        token = issue_link(actor, "workspace", engagement_id, "")
        db.session.commit()
    return f"/workspace/{token}"


def page_of(person: Any, engagement_id: int) -> Any:
    return person.client.get(f"/work/engagements/{engagement_id}?lid={person.lid}")


def post(
    person: Any,
    engagement_id: int,
    body: str,
    file: tuple[bytes, str] | None = None,
    form: str = "messages.send",
) -> Any:
    """A launched person posts the panel's form on the engagement page."""
    page = page_of(person, engagement_id)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    data: dict[str, Any] = {
        "lid": person.lid,
        "csrf_token": csrf_token(page),
        "form": form,
        "body": body,
    }
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return person.client.post(
        f"/work/engagements/{engagement_id}?lid={person.lid}",
        data=data,
        content_type="multipart/form-data",
    )


def supervisor_post(
    browser: Any, path: str, body: str, file: tuple[bytes, str] | None = None
) -> Any:
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    data: dict[str, Any] = {"csrf_token": csrf_token(page), "form": "messages.send", "body": body}
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return browser.post(path, data=data, content_type="multipart/form-data")


def count_messages(app: Any, engagement_id: int | None = None) -> int:
    with app.app_context():
        stmt = select(func.count(WorkspaceMessage.id))
        if engagement_id is not None:
            stmt = stmt.where(WorkspaceMessage.engagement_id == engagement_id)
        return int(db.session.scalar(stmt) or 0)


def messages_of(app: Any, engagement_id: int) -> list[WorkspaceMessage]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(WorkspaceMessage)
                .where(WorkspaceMessage.engagement_id == engagement_id)
                .order_by(WorkspaceMessage.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows
