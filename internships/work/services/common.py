"""Helpers the work services share: actors, the tenant's day, tenant settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lti_tool.models import Tenant
from lti_tool.tenants import get_tenant as get_tenant  # one lookup, in the core

DEFAULT_MAX_CONCURRENT = 2
DEFAULT_MAX_WEEKLY_HOURS = 15


def setting_int(tenant: Tenant, key: str, default: int) -> int:
    value: Any = (tenant.settings or {}).get(key, default)
    return int(value) if isinstance(value, int | float) and value > 0 else default


def career_center_email(tenant: Tenant | None) -> str:
    return str(((tenant.settings or {}) if tenant else {}).get("career_center_email") or "")


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week of ``day`` (dates are already in the tenant's zone)."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)
