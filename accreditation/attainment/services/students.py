"""A student's demonstrated competencies and the frameworks with evidence in a course."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import Framework, FrameworkItem, FrameworkItemVersion
from lti_tool.extensions import db

from .scope import level_name


@dataclass
class Demonstrated:
    framework: str
    outcome: str
    direct_level: int | None
    direct_name: str
    indirect_level: int | None
    indirect_name: str
    observations: int


def student_competencies(tenant_id: int, student_id: int) -> list[Demonstrated]:
    """The outcomes a student has rated evidence on, with the highest level reached per
    measure (one GROUP BY over the student's own rows)."""
    rows = db.session.execute(
        select(Evidence.item_id, Evidence.source, func.max(Evidence.level), func.count())
        .where(
            Evidence.tenant_id == tenant_id,
            Evidence.student_id == student_id,
            Evidence.level.is_not(None),
        )
        .group_by(Evidence.item_id, Evidence.source)
    ).all()
    if not rows:
        return []
    items = {
        item.id: item
        for item in db.session.scalars(
            select(FrameworkItem).where(
                FrameworkItem.tenant_id == tenant_id,
                FrameworkItem.id.in_({r[0] for r in rows}),
            )
        )
    }
    names = dict(
        db.session.execute(
            select(FrameworkItemVersion.item_id, FrameworkItemVersion.name)
            .where(FrameworkItemVersion.item_id.in_(items))
            .order_by(FrameworkItemVersion.number)
        ).all()
    )  # the last version of each wins: its current wording
    merged: dict[int, dict[str, Any]] = defaultdict(lambda: {"count": 0})
    for item_id, source, level, count in rows:
        merged[item_id][source] = level
        merged[item_id]["count"] += count
    out = []
    for item_id, data in merged.items():
        item = items[item_id]
        fw = item.framework
        out.append(
            Demonstrated(
                framework=fw.title,
                outcome=names.get(item_id, ""),
                direct_level=data.get("direct"),
                direct_name=level_name(fw, data.get("direct")) if data.get("direct") else "",
                indirect_level=data.get("indirect"),
                indirect_name=level_name(fw, data.get("indirect")) if data.get("indirect") else "",
                observations=data["count"],
            )
        )
    return sorted(out, key=lambda d: (d.framework, d.outcome))


def course_frameworks(tenant_id: int, course_id: int) -> list[Framework]:
    """The frameworks with evidence recorded in a course (NACE first)."""
    ids = set(
        db.session.scalars(
            select(FrameworkItem.framework_id)
            .join(Evidence, Evidence.item_id == FrameworkItem.id)
            .where(Evidence.tenant_id == tenant_id, Evidence.course_id == course_id)
            .distinct()
        )
    )
    return [fw for fw in fw_services.list_frameworks(tenant_id) if fw.id in ids]
