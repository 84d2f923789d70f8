"""The institution's reminder settings, kept in ``Tenant.settings["rhythm"]``: whether
reminders go out, and after how many days each kind is due. Advisors and tool administrators
edit them (``views.settings``); "no activity" is also the at-risk flag's threshold."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.services import audit

SETTINGS_KEY = "rhythm"


@dataclass(frozen=True)
class RhythmSettings:
    """When reminders are due (defaults; each tenant may change them)."""

    reminders: bool = True  # send reminder emails at all
    agreement_days: int = 3  # the learning agreement waits this long after acceptance
    hours_days: int = 5  # logged hours wait this long for the supervisor's confirmation
    no_activity_days: int = 10  # nothing happened on an active engagement for this long


LIMITS = {"agreement_days": (1, 60), "hours_days": (1, 60), "no_activity_days": (2, 90)}
NAMES = {
    "agreement_days": "Days before reminding about the learning agreement",
    "hours_days": "Days before reminding about unconfirmed hours",
    "no_activity_days": "Days without activity",
}


def settings_of(settings: dict[str, Any] | None) -> RhythmSettings:
    """A tenant's settings; missing or invalid values fall back to the defaults."""
    stored = (settings or {}).get(SETTINGS_KEY)
    stored = stored if isinstance(stored, dict) else {}
    values: dict[str, Any] = {}
    for name, (low, high) in LIMITS.items():
        value = stored.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            values[name] = value
    if isinstance(stored.get("reminders"), bool):
        values["reminders"] = stored["reminders"]
    return RhythmSettings(**values)


def tenant_settings(tenant_id: int) -> RhythmSettings:
    """One tenant's settings (its row, usually already in the session)."""
    tenant = db.session.get(Tenant, tenant_id)
    return settings_of(tenant.settings if tenant is not None else None)


def update_settings(ctx: LaunchContext, new: RhythmSettings) -> bool:
    """Save the tenant's reminder settings (advisors and tool administrators); audited.
    Returns False when nothing changed."""
    if ctx.role != "advisor" and not ctx.is_tool_admin:
        raise ForbiddenError(
            "Only advisors and Career Credit administrators change these.", reason="role"
        )
    for name, (low, high) in LIMITS.items():
        if not low <= getattr(new, name) <= high:
            raise PolicyViolationError(
                f"{NAMES[name]} must be between {low} and {high}.", reason=f"invalid_{name}"
            )
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFoundError("This institution is not registered.")
    old = settings_of(tenant.settings)
    if old == new:
        return False
    # a new dict: the JSON column does not track changes in place
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: dataclasses.asdict(new)}
    audit.record(
        ctx.actor,
        "workspace.reminder_settings",
        ctx.tenant_id,
        old=dataclasses.asdict(old),
        new=dataclasses.asdict(new),
    )
    db.session.flush()
    return True
