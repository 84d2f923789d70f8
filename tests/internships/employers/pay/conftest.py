"""The pay tests' world: the work tests' school, students, advisor, instructor and a paid
listing (a fixed fee of $500 for an estimated 20 hours)."""

from __future__ import annotations

import pytest

from tests.internships.work.conftest import COMPETENCIES, make_world


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, COMPETENCIES)
