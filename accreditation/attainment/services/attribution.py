"""The evidence that counts for a framework's outcomes: recorded against an outcome, or against
a course outcome a crosswalk aligns to it, narrowed to the report's scope."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, exists, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from accreditation.evidence.models import Evidence
from accreditation.frameworks.models import OutcomeAlignment
from internships.profile.models import StudentProfile
from lti_tool.extensions import db
from lti_tool.models import Course

from .scope import Scope


def _narrow(query: Select[Any], scope: Scope, *, rated_only: bool) -> Select[Any]:
    query = query.where(Evidence.tenant_id == scope.tenant_id)
    if rated_only:
        query = query.where(Evidence.level.is_not(None))
    if scope.course_id is not None:
        query = query.where(Evidence.course_id == scope.course_id)
    if scope.terms is not None:
        query = query.join(Course, Course.id == Evidence.course_id).where(
            Course.term_name.in_(scope.terms)
        )
    if scope.program:
        query = query.join(
            StudentProfile,
            and_(
                StudentProfile.tenant_id == scope.tenant_id,
                StudentProfile.user_id == Evidence.student_id,
            ),
        ).where(StudentProfile.program == scope.program)
    return query


def has_alignments(scope: Scope, item_ids: list[int]) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OutcomeAlignment.tenant_id == scope.tenant_id,
                    OutcomeAlignment.target_item_id.in_(item_ids),
                )
            )
        )
    )


def attributed(
    scope: Scope,
    item_ids: list[int],
    *columns: ColumnElement[Any],
    rated_only: bool = True,
    extra: Any = None,
    aligned: bool | None = None,
) -> Any:
    """A subquery of the evidence counting for ``item_ids`` (column ``outcome_id`` plus the
    labelled ``columns``): recorded against the outcome, or against an aligned course outcome."""
    direct = select(Evidence.item_id.label("outcome_id"), *columns).where(
        Evidence.item_id.in_(item_ids)
    )
    direct = _narrow(direct, scope, rated_only=rated_only)
    if extra is not None:
        direct = extra(direct)
    if aligned is None:
        aligned = has_alignments(scope, item_ids)
    if not aligned:
        return direct.subquery("attributed")
    via_alignment = (
        select(OutcomeAlignment.target_item_id.label("outcome_id"), *columns)
        .select_from(Evidence)
        .join(
            OutcomeAlignment,
            and_(
                OutcomeAlignment.tenant_id == scope.tenant_id,
                OutcomeAlignment.source_item_id == Evidence.item_id,
            ),
        )
        .where(OutcomeAlignment.target_item_id.in_(item_ids))
    )
    via_alignment = _narrow(via_alignment, scope, rated_only=rated_only)
    if extra is not None:
        via_alignment = extra(via_alignment)
    return union_all(direct, via_alignment).subquery("attributed")


# PostgreSQL settings of a report's transaction, ended with it (``set_config(..., true)``);
# its plans are made for its own values (``POSTGRESQL_PLAN_CACHE_MODE`` is for the pages).
TUNE_FOR_REPORTS = text(
    "SELECT set_config('work_mem', :mem, true), set_config('jit', 'off', true), "
    "set_config('plan_cache_mode', 'auto', true)"
)


def tune_for_reports() -> None:
    """PostgreSQL: give this transaction's GROUP BYs and hash joins over millions of evidence
    rows room in memory (``ATTAINMENT_WORK_MEM``, default 128MB, instead of the server's 4MB
    default that makes them spill to disk), and no JIT compilation: at these statements'
    costs PostgreSQL inlines and optimises (0.58 s of compiling over the leader and its two
    workers for coverage by listing at 10 M evidence rows) and the statements ran no faster
    for it (9.5 s of CPU with JIT and without)."""
    if db.session.get_bind().dialect.name == "postgresql":
        mem = str(current_app.config["ATTAINMENT_WORK_MEM"])
        db.session.execute(TUNE_FOR_REPORTS, {"mem": mem})
