"""A framework's target levels and coverage threshold (defaults, per-outcome overrides)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from accreditation.frameworks import services as fw_services
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import DEFAULT_MIN_EVIDENCE, DEFAULT_TARGET_LEVEL, AttainmentSetting


@dataclass
class Targets:
    """A framework's target level, per-outcome overrides and coverage threshold."""

    level: int = DEFAULT_TARGET_LEVEL
    min_evidence: int = DEFAULT_MIN_EVIDENCE
    per_item: dict[int, int] = field(default_factory=dict)

    def for_item(self, item_id: int) -> int:
        return self.per_item.get(item_id, self.level)


def targets(tenant_id: int, framework_id: int) -> Targets:
    """The framework's targets (defaults: level 3, 10 rated observations)."""
    out = Targets()
    for row in db.session.scalars(
        select(AttainmentSetting).where(
            AttainmentSetting.tenant_id == tenant_id,
            AttainmentSetting.framework_id == framework_id,
        )
    ):
        if row.item_id is None:
            out.level, out.min_evidence = row.target_level, row.min_evidence
        else:
            out.per_item[row.item_id] = row.target_level
    return out


def _setting(tenant_id: int, framework_id: int, item_id: int | None) -> AttainmentSetting | None:
    query = select(AttainmentSetting).where(
        AttainmentSetting.tenant_id == tenant_id,
        AttainmentSetting.framework_id == framework_id,
        AttainmentSetting.item_id.is_(None)
        if item_id is None
        else AttainmentSetting.item_id == item_id,
    )
    return db.session.scalars(query).first()


def save_targets(
    ctx: LaunchContext,
    framework_id: int,
    level: int,
    min_evidence: int,
    per_item: dict[int, int | None],
) -> None:
    """Set the framework's target level and threshold, and per-outcome targets (None: use the
    framework's); flushes."""
    fw = fw_services.get_framework(ctx.tenant_id, framework_id)
    top = len(fw.scale or []) or 4
    if not 1 <= level <= top or any(v is not None and not 1 <= v <= top for v in per_item.values()):
        raise PolicyViolationError(f"A target level must be between 1 and {top}.")
    if min_evidence < 1:
        raise PolicyViolationError("The coverage threshold must be at least 1.")
    items = {item.id for item in fw.items}
    now = utcnow()
    for item_id, value in [(None, level), *per_item.items()]:
        if item_id is not None and item_id not in items:
            raise NotFoundError("That outcome is not in this framework.")
        row = _setting(ctx.tenant_id, fw.id, item_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = AttainmentSetting(tenant_id=ctx.tenant_id, framework_id=fw.id, item_id=item_id)
            db.session.add(row)
        row.target_level = value
        row.min_evidence = min_evidence if item_id is None else DEFAULT_MIN_EVIDENCE
        row.updated_by, row.updated_at = ctx.actor.name, now
    db.session.flush()
    audit.record(
        ctx.actor,
        "attainment.targets",
        ctx.tenant_id,
        framework_id=fw.id,
        level=level,
        min_evidence=min_evidence,
    )
