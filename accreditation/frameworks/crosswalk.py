"""The crosswalk: faculty map each course outcome to career competencies and program outcomes.

Rows are the active outcomes of the course's outcome frameworks (read from the LMS); columns are
the active items of the tenant's competency and program frameworks. Saving replaces the course's
alignments with the cells ticked (flushes; the caller commits).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from lti_tool.context import LaunchContext
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.services import audit

from . import services
from .models import Framework, FrameworkItem, OutcomeAlignment

GROUP_TYPE = "Outcome group"


@dataclass(frozen=True)
class Column:
    item: FrameworkItem
    framework: Framework


@dataclass(frozen=True)
class Grid:
    rows: list[FrameworkItem]
    columns: list[Column]
    aligned: set[tuple[int, int]]  # (row item id, column item id)

    @property
    def frameworks(self) -> list[tuple[Framework, int]]:
        """Column frameworks in order with how many columns each spans."""
        out: list[tuple[Framework, int]] = []
        for col in self.columns:
            if out and out[-1][0].id == col.framework.id:
                out[-1] = (col.framework, out[-1][1] + 1)
            else:
                out.append((col.framework, 1))
        return out


def _require_course(ctx: LaunchContext) -> int:
    if ctx.course_id is None:
        raise PolicyViolationError(
            "Open Career Credit from a course to map its outcomes.", reason="no_course"
        )
    return ctx.course_id


def crosswalk(ctx: LaunchContext) -> Grid:
    """The course's crosswalk grid."""
    course_id = _require_course(ctx)
    frameworks = db.session.scalars(
        select(Framework)
        .where(Framework.tenant_id == ctx.tenant_id, Framework.status == "active")
        .where(
            (Framework.kind.in_(("competencies", "program")))
            | ((Framework.kind == "course") & (Framework.course_id == course_id))
        )
        .options(selectinload(Framework.items).selectinload(FrameworkItem.versions))
        .order_by(Framework.source != "builtin", Framework.title, Framework.id)
    ).all()
    rows: list[FrameworkItem] = []
    columns: list[Column] = []
    for fw in frameworks:
        for row in services.tree(fw, include_retired=False):
            if fw.kind == "course":
                if row.item.item_type != GROUP_TYPE:
                    rows.append(row.item)
            else:
                columns.append(Column(row.item, fw))
    aligned = {
        (int(r), int(c))
        for r, c in db.session.execute(
            select(OutcomeAlignment.source_item_id, OutcomeAlignment.target_item_id).where(
                OutcomeAlignment.tenant_id == ctx.tenant_id,
                OutcomeAlignment.course_id == course_id,
            )
        )
    }
    return Grid(rows, columns, aligned)


def save_crosswalk(ctx: LaunchContext, cells: set[tuple[int, int]]) -> tuple[int, int]:
    """Make the course's alignments exactly ``cells``; returns (added, removed)."""
    course_id = _require_course(ctx)
    grid = crosswalk(ctx)
    rows = {item.id for item in grid.rows}
    columns = {col.item.id for col in grid.columns}
    if any(r not in rows or c not in columns for r, c in cells):
        raise PolicyViolationError(
            "The outcomes changed while you were mapping them: reload the page and try again.",
            reason="crosswalk_stale",
        )
    # alignments of items no longer shown (retired) are kept: evidence may rest on them
    shown = {(r, c) for r, c in grid.aligned if r in rows and c in columns}
    removed = shown - cells
    added = cells - grid.aligned
    for r, c in removed:
        db.session.execute(
            delete(OutcomeAlignment).where(
                OutcomeAlignment.tenant_id == ctx.tenant_id,
                OutcomeAlignment.source_item_id == r,
                OutcomeAlignment.target_item_id == c,
            )
        )
    for r, c in sorted(added):
        db.session.add(
            OutcomeAlignment(
                tenant_id=ctx.tenant_id,
                course_id=course_id,
                source_item_id=r,
                target_item_id=c,
                created_by=ctx.actor.name,
            )
        )
    if added or removed:
        audit.record(
            ctx.actor,
            "crosswalk.save",
            ctx.tenant_id,
            course_id=course_id,
            added=len(added),
            removed=len(removed),
        )
    db.session.flush()
    return len(added), len(removed)
