"""Fixed vocabularies: the shipped skills list, the NACE career competencies, the class years
and the DOL Fact Sheet #71 factors an advisor answers before approving an unpaid listing."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SKILLS_CSV = Path(__file__).resolve().parent / "data" / "skills.csv"

# NACE Career Readiness Competencies (2021): the names only; NACE's text is copyrighted.
COMPETENCIES = (
    "Career & Self-Development",
    "Communication",
    "Critical Thinking",
    "Equity & Inclusion",
    "Leadership",
    "Professionalism",
    "Teamwork",
    "Technology",
)

CLASS_YEARS = ("First year", "Second year", "Third year", "Fourth year", "Graduate")

# US DOL Wage and Hour Division Fact Sheet #71: the primary-beneficiary test (in our words).
UNPAID_FACTORS = (
    (
        "no_pay_expected",
        "The student and the employer both understand there is no expectation of pay.",
    ),
    (
        "educational_training",
        "The work gives training like that of an educational setting, including hands-on training.",
    ),
    (
        "tied_to_education",
        "The work is tied to the student's formal education by coursework or academic credit.",
    ),
    ("academic_calendar", "The work fits the student's academic commitments and calendar."),
    ("limited_duration", "It lasts only as long as it gives the student beneficial learning."),
    (
        "complements_staff",
        "The student's work complements, rather than displaces, paid "
        "employees' work, with significant educational benefit.",
    ),
    ("no_job_entitlement", "Both understand it carries no entitlement to a paid job afterwards."),
)


@dataclass(frozen=True)
class Skill:
    id: str
    label: str
    group: str


@lru_cache(maxsize=1)
def skills() -> dict[str, Skill]:
    """The shipped skills vocabulary by id, in file order (read once)."""
    with SKILLS_CSV.open(encoding="utf-8", newline="") as f:
        return {
            row["id"]: Skill(row["id"], row["label"], row["group"]) for row in csv.DictReader(f)
        }


def skill_label(skill_id: str) -> str:
    """The label of a skill id; an id no longer in the vocabulary shows as itself."""
    skill = skills().get(skill_id)
    return skill.label if skill else skill_id
