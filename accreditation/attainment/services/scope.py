"""What a report covers: its scope (framework, program, terms, course), the tenant's terms and
programs, and a framework's outcomes in order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import Framework
from internships.profile.models import StudentProfile
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course

MEASURES = ("direct", "indirect")


NO_TERM = "No term"


@dataclass(frozen=True)
class Scope:
    """What a report covers: a framework's outcomes, optionally narrowed to the students of one
    program (their profile), some terms (None: every term, and evidence without one) or one
    course."""

    tenant_id: int
    framework_id: int
    program: str = ""
    terms: tuple[str, ...] | None = None
    course_id: int | None = None


def list_terms(tenant_id: int) -> list[str]:
    """The tenant's terms (LMS term names of its courses), earliest first."""
    rows = db.session.execute(
        select(Course.term_name, func.min(Course.term_start))
        .where(Course.tenant_id == tenant_id, Course.term_name.is_not(None), Course.term_name != "")
        .group_by(Course.term_name)
    ).all()
    return [str(name) for name, _ in sorted(rows, key=lambda r: (r[1] or "9999", r[0]))]


def term_range(tenant_id: int, term_from: str, term_to: str) -> tuple[str, ...] | None:
    """The terms from ``term_from`` to ``term_to`` (either blank: open-ended); None when both
    are blank (every term)."""
    if not term_from and not term_to:
        return None
    terms = list_terms(tenant_id)
    for name in (term_from, term_to):
        if name and name not in terms:
            raise PolicyViolationError(
                f"There is no term named {name!r}.", hint="Choose a term from the list."
            )
    start = terms.index(term_from) if term_from else 0
    end = terms.index(term_to) if term_to else len(terms) - 1
    if start > end:
        raise PolicyViolationError(
            "The first term comes after the last one.", hint="Swap the two terms."
        )
    return tuple(terms[start : end + 1])


def list_programs(tenant_id: int) -> list[str]:
    """The programs students of the tenant have on their profiles."""
    return list(
        db.session.scalars(
            select(StudentProfile.program)
            .where(StudentProfile.tenant_id == tenant_id, StudentProfile.program != "")
            .distinct()
            .order_by(StudentProfile.program)
        )
    )


@dataclass(frozen=True)
class Outcome:
    id: int
    code: str
    name: str
    depth: int


def outcomes(fw: Framework) -> list[Outcome]:
    """The framework's active outcomes in their order (current wording)."""
    return [
        Outcome(row.item.id, row.item.human_coding, row.item.current.name, row.depth)
        for row in fw_services.tree(fw, include_retired=False)
    ]


def level_name(fw: Framework, level: int | None) -> str:
    scale = fw.scale or []
    return scale[level - 1] if level and level <= len(scale) else "Not applicable"
