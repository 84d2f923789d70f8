"""The plan's home panels: the student's calendar address, the advisor's checklist templates."""

from __future__ import annotations

from typing import Any

from lti_tool.context import LaunchContext

from .services import calendar


def student(ctx: LaunchContext) -> dict[str, Any]:
    """Whether the student's calendar address is on."""
    return {"feed_on": calendar.feed_on(ctx.tenant_id, ctx.user_id)}


def advisor(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's links to the onboarding checklist templates."""
    return {}
