"""The plan's home panels: the student's calendar address, the advisor's checklist templates."""

from __future__ import annotations

from typing import Any

from lti_tool.context import LaunchContext

from ...work.views import student_work


def student(ctx: LaunchContext) -> dict[str, Any]:
    """Whether the student's calendar address is on (read with the student's work, which the
    home reads once)."""
    return {"feed_on": student_work(ctx).calendar_on}


def advisor(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's links to the onboarding checklist templates."""
    return {}
