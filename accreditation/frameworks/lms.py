"""Course outcomes from the LMS: reading a course's Canvas outcomes (through the faculty
member's authorisation, ``canvas_auth``) or Moodle competencies into a course framework
(``source="lms"``), matched by identifier so that reading again updates it.

Functions take the launch context and their inputs explicitly; they flush, callers commit.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests
from sqlalchemy import select

from connectors import canvas, moodle
from lti_tool.admin.models import ConnectorCredentials
from lti_tool.admin.services.connections import credentials_for
from lti_tool.context import CONTEXT, CUSTOM, LaunchContext
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Launch

from . import catalog
from .case import CaseItem, CasePackage, ImportResult, upsert_framework
from .models import Framework


def lms_identifier(*parts: str) -> str:
    """A stable UUID for something the LMS names (a course, an outcome)."""
    return str(uuid.uuid5(catalog.NAMESPACE, "lms/" + "/".join(parts)))


def connector_credentials(ctx: LaunchContext) -> ConnectorCredentials | None:
    """The launch's registration's connector credentials, if an administrator set them."""
    return credentials_for(ctx.registration_id)


def launch_claims(ctx: LaunchContext) -> dict[str, Any]:
    """The launch's id_token claims (custom variables and context)."""
    launch = db.session.get(Launch, ctx.launch_id)
    return dict(launch.message) if launch is not None else {}


# --- reading course outcomes ---------------------------------------------------------------------


def _course_framework_title(ctx: LaunchContext, lms: str) -> str:
    return f"Course outcomes: {ctx.course_title or 'this course'} ({lms})"[:300]


def _store_course_framework(
    ctx: LaunchContext,
    course_id: int,
    lms: str,
    identifier: str,
    items: tuple[CaseItem, ...],
    parents: dict[str, tuple[str | None, int]],
    *,
    source_url: str,
) -> ImportResult:
    """The course framework read from ``lms`` (Canvas or Moodle), created or updated."""
    package = CasePackage(
        identifier=identifier,
        title=_course_framework_title(ctx, lms),
        creator=lms,
        description="",
        version="",
        items=items,
        parents=parents,
    )
    return upsert_framework(
        ctx.actor,
        package,
        kind="course",
        source="lms",
        source_url=source_url,
        course_id=course_id,
    )


def _require_course(ctx: LaunchContext) -> int:
    if ctx.course_id is None:
        raise PolicyViolationError(
            "Open Career Credit from a course to read its outcomes.", reason="no_course"
        )
    return ctx.course_id


def read_canvas_outcomes(ctx: LaunchContext, client: canvas.CanvasClient) -> ImportResult:
    """The course's Canvas outcome groups and outcomes as the course framework."""
    course_id = _require_course(ctx)
    custom = launch_claims(ctx).get(CUSTOM) or {}
    canvas_course = str(custom.get("canvas_course_id") or "")
    if not canvas_course.isdigit():
        raise PolicyViolationError(
            "Canvas did not say which course this is (the canvas_course_id custom field).",
            hint="Ask your Canvas administrator to add canvas_course_id=$Canvas.course.id to "
            "Career Credit's custom fields.",
            reason="canvas_course_id",
        )
    result = client.course_outcomes(int(canvas_course))
    base = client.base_url
    root_ids = {g.id for g in result.groups if g.parent_id is None}
    group_ident = {g.id: lms_identifier(base, "group", str(g.id)) for g in result.groups}
    items: list[CaseItem] = []
    parents: dict[str, tuple[str | None, int]] = {}
    for group in (g for g in result.groups if g.id not in root_ids):
        ident = group_ident[group.id]
        items.append(
            CaseItem(ident, group.title or "Outcome group", group.description, "", "Outcome group")
        )
        parent = None if group.parent_id in root_ids else group_ident.get(group.parent_id or 0)
        parents[ident] = (parent, 0)  # in reading order
    for outcome in result.outcomes:
        ident = lms_identifier(base, "outcome", str(outcome.id))
        items.append(
            CaseItem(
                ident,
                (outcome.title or outcome.display_name or f"Outcome {outcome.id}")[:300],
                outcome.description,
                outcome.display_name[:64],
                "Canvas outcome",
            )
        )
        parent = None if outcome.group_id in root_ids else group_ident.get(outcome.group_id)
        parents[ident] = (parent, 0)
    return _store_course_framework(
        ctx,
        course_id,
        "Canvas",
        lms_identifier(base, "course", canvas_course),
        tuple(items),
        parents,
        source_url=f"{base}/courses/{canvas_course}/outcomes",
    )


def moodle_client(ctx: LaunchContext, session: requests.Session) -> moodle.MoodleClient:
    """A Moodle web-service client for the launch's registration."""
    creds = connector_credentials(ctx)
    if creds is None or not creds.moodle_url or not creds.moodle_ws_token:
        raise PolicyViolationError(
            "Career Credit is not yet connected to Moodle's web services at your institution.",
            hint="Ask your Career Credit administrator to add a Moodle web-service token under "
            "Administration > Connections.",
            reason="moodle_not_configured",
        )
    return moodle.MoodleClient(creds.moodle_url, creds.moodle_ws_token, session)


def read_moodle_competencies(ctx: LaunchContext, client: moodle.MoodleClient) -> ImportResult:
    """The course's Moodle competencies as the course framework (Moodle's course id is the
    LTI context id)."""
    course_id = _require_course(ctx)
    context = launch_claims(ctx).get(CONTEXT) or {}
    moodle_course = str(context.get("id") or "")
    if not moodle_course.isdigit():
        raise PolicyViolationError(
            "This launch did not come from a Moodle course.", reason="moodle_course_id"
        )
    comps = client.course_competencies(int(moodle_course))
    base = client.base_url
    idents = {c.id: lms_identifier(base, "competency", str(c.id)) for c in comps}
    items = tuple(
        CaseItem(
            idents[c.id],
            c.shortname[:300] or c.idnumber,
            c.description,
            c.idnumber[:64],
            "Moodle competency",
        )
        for c in comps
    )
    parents = {
        idents[c.id]: (idents.get(c.parent_id) if c.parent_id else None, c.sort_order)
        for c in comps
    }
    return _store_course_framework(
        ctx,
        course_id,
        "Moodle",
        lms_identifier(base, "course", moodle_course),
        items,
        parents,
        source_url=f"{base}/admin/tool/lp/coursecompetencies.php?courseid={moodle_course}",
    )


def course_frameworks(ctx: LaunchContext) -> list[Framework]:
    """Course outcome frameworks of the launch's course."""
    if ctx.course_id is None:
        return []
    return list(
        db.session.scalars(
            select(Framework).where(
                Framework.tenant_id == ctx.tenant_id,
                Framework.course_id == ctx.course_id,
                Framework.kind == "course",
            )
        )
    )
