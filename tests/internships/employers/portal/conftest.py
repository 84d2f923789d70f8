"""The portal tests' world: the work tests' school, students, advisor, instructor and listing
(``tests/internships/work/conftest.py``)."""

from __future__ import annotations

import pytest

from tests.internships.work.conftest import COMPETENCIES, make_world


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, COMPETENCIES)
