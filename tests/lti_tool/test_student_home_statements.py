"""The student's home (issue 16): its GET writes nothing (a flashed message shown once is the
one thing it may remove) and its statements stay few whatever the student has: the panels'
statements do not grow with the student's engagements, applications or credentials."""

from __future__ import annotations

from tests.accreditation.credentials.pages.conftest import finished
from tests.helpers import counted
from tests.internships.work.conftest import COMPETENCIES, make_world

WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")
# The page's statements today: the launch, then the panels (work with its "For you" picks,
# workspace, credit, reports, credentials); a launch's first page also reads its registration.
# A bound, not the exact figure, so a domain helper that reads less need not change this test.
MOST_FIRST, MOST_LATER = 23, 20  # the same on SQLite and PostgreSQL


def home_statements(app, person) -> tuple[str, list[str]]:
    with app.app_context(), counted() as seen:
        page = person.client.get(f"/home/student?lid={person.lid}")
    assert page.status_code == 200
    return page.get_data(as_text=True), seen


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


def test_the_student_home_reads_only_and_its_statements_stay_few(app, school, seed_listing):
    world = make_world(school, seed_listing, COMPETENCIES)
    _, fresh = home_statements(app, world["student"])
    assert not writes(fresh) and len(fresh) <= MOST_FIRST
    finished(app, world)
    home_statements(app, world["student"])  # shows (and so removes) the messages flashed
    page, seen = home_statements(app, world["student"])
    assert "You hold 1 valid credential" in page
    assert not writes(seen) and len(seen) <= MOST_LATER
