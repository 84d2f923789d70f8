"""The work tests' world: a school with two students, an advisor, an instructor and an open
listing (``competencies``: those the listing targets)."""

from __future__ import annotations

from typing import Any

import pytest

COMPETENCIES = ("Teamwork", "Communication")


def make_world(school: Any, seed_listing: Any, competencies: tuple[str, ...]) -> dict[str, Any]:
    return {
        "school": school,
        "student": school.person("student"),
        "other": school.person("student"),
        "advisor": school.person("advisor"),
        "faculty": school.person("faculty"),
        "listing": seed_listing(school.tenant_id, competencies=list(competencies)),
    }


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, COMPETENCIES)
