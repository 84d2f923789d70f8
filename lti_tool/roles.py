"""Map an LTI roles claim (plus explicit grants and tenant rules) to one Career Credit role.

Order matters: a TeachingAssistant sub-role is checked before Instructor; institution roles
(which Canvas sends for admins in every course) never override a course role; the advisor role
is never inferred from ``Mentor``.

The advisor rule (the tenant setting ``advisor_claim``: a custom parameter name and value)
applies only where the administrator scoped it: a launch without a course (an account-level
placement) or a placement the rule names in ``resource_links``. It never outranks a Learner,
Instructor or TeachingAssistant role in a course, because anyone who can edit a course link's
custom parameters could otherwise send it. An explicit grant is the default path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person"

STUDENT, FACULTY, ADVISOR, ADMIN, OBSERVER = "student", "faculty", "advisor", "admin", "observer"


@dataclass(frozen=True)
class RoleDecision:
    role: str | None
    read_only: bool = False
    is_tool_admin: bool = False


def _norm(roles: Iterable[str]) -> set[str]:
    out = set()
    for r in roles:
        if not isinstance(r, str):
            continue
        # LTI 1.1-style short names ("Instructor") mean context roles
        out.add(r if "://" in r else f"{MEMBERSHIP}#{r}")
    return out


def decide(
    roles: Iterable[str],
    custom: Mapping[str, Any] | None,
    tenant_settings: Mapping,
    *,
    advisor_granted: bool,
    has_context: bool,
    resource_link_id: str | None = None,
) -> RoleDecision:
    """Decide the role of one launch."""
    r = _norm(roles)
    custom = custom or {}
    admin_roles = {f"{INSTITUTION}#Administrator", f"{SYSTEM}#Administrator", f"{SYSTEM}#SysAdmin"}
    is_admin = bool(r & admin_roles) and bool(
        tenant_settings.get("institution_admin_is_tool_admin", True)
    )
    if has_context:
        if {f"{MEMBERSHIP}/Instructor#TeachingAssistant", f"{MEMBERSHIP}#TeachingAssistant"} & r:
            return RoleDecision(FACULTY, read_only=True, is_tool_admin=is_admin)
        if f"{MEMBERSHIP}#Instructor" in r:
            return RoleDecision(FACULTY, is_tool_admin=is_admin)
        if f"{MEMBERSHIP}#Learner" in r:
            return RoleDecision(STUDENT, is_tool_admin=is_admin)
    if advisor_rule_applies(custom, tenant_settings, has_context, resource_link_id):
        return RoleDecision(ADVISOR, is_tool_admin=is_admin)
    if advisor_granted:
        return RoleDecision(ADVISOR, is_tool_admin=is_admin)
    if f"{MEMBERSHIP}#Mentor" in r:
        return RoleDecision(OBSERVER, is_tool_admin=is_admin)
    if is_admin:
        return RoleDecision(ADMIN, is_tool_admin=True)
    return RoleDecision(None, is_tool_admin=is_admin)


def advisor_rule_applies(
    custom: Mapping[str, Any],
    tenant_settings: Mapping,
    has_context: bool,
    resource_link_id: str | None,
) -> bool:
    """Whether the tenant's advisor claim rule makes this launch an advisor's: the custom
    parameter has the configured value, and the launch is account-level (no course) or comes
    from a placement the rule names."""
    rule = tenant_settings.get("advisor_claim") or {}
    if not isinstance(rule, Mapping) or not rule.get("name"):
        return False
    if str(custom.get(rule["name"], "")) != str(rule.get("value")):
        return False
    if not has_context:
        return True
    placements = rule.get("resource_links") or ()
    return (
        bool(resource_link_id)
        and isinstance(placements, list | tuple)
        and (str(resource_link_id) in {str(p) for p in placements})
    )
