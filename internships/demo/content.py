"""The demo's content, read from the JSON files in ``internships/data/`` (shipped in the
wheel): employers, listings, student profiles, the work plan and the texts students write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class DemoEmployer:
    name: str
    website: str
    contact_name: str
    verified: bool


@dataclass(frozen=True)
class DemoListing:
    """One listing; ``deadline_in_days`` counts from the day the demo is loaded and ``status``
    is the status it ends in (``open_unpaid`` is approved, closing statuses are closed)."""

    key: str
    employer: str
    title: str
    summary: str
    estimated_hours: int
    compensation_type: str
    pay_amount_cents: int | None
    location_type: str
    location: str
    skills: list[str]
    competencies: list[str]
    tags: list[str]
    deadline_in_days: int
    status: str


@dataclass(frozen=True)
class DemoProfile:
    person: str
    program: str
    class_year: str
    work_authorization: str
    skills: list[str]
    interests: str
    weekly_availability_hours: int


@dataclass(frozen=True)
class PlanStep:
    """A student applies to a listing from a course; ``state`` is where the application (or
    the engagement it becomes) ends."""

    listing: str
    student: str
    course: str
    state: str


def _read(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


_LISTINGS = _read("demo_listings.json")
_WORK = _read("demo_work.json")

EMPLOYERS: tuple[DemoEmployer, ...] = tuple(DemoEmployer(**row) for row in _LISTINGS["employers"])
LISTINGS: tuple[DemoListing, ...] = tuple(DemoListing(**row) for row in _LISTINGS["listings"])
PROFILES: dict[str, DemoProfile] = {row["person"]: DemoProfile(**row) for row in _WORK["profiles"]}
WORK_PLAN: tuple[PlanStep, ...] = tuple(PlanStep(**row) for row in _WORK["plan"])
STATEMENT: str = _WORK["statement"]
REFLECTION: dict[str, str] = dict(_WORK["reflection"])
