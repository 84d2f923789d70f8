"""The crosswalk grid: faculty map each course outcome to competencies and program outcomes."""

from __future__ import annotations

import re

from sqlalchemy import select

from accreditation.frameworks.models import OutcomeAlignment
from lti_tool.extensions import db
from tests.connectors.conftest import fixture
from tests.helpers import csrf_token, launch_csrf, reason

from .test_lms import MOODLE, configure


def course_with_outcomes(app, driver, platform, requests_mock, sub="prof-1", role="faculty"):
    requests_mock.real_http = True
    requests_mock.post(
        f"{MOODLE}/webservice/rest/server.php",
        json=fixture("moodle", "list_course_competencies.json"),
    )
    configure(app, platform, moodle_url=MOODLE, moodle_ws_token="ws-token-1234")
    lti = driver(platform)
    lid = lti.launch(sub=sub, role=role, course="7", follow=False).lid
    return lti.client, lid


def cell_values(body: str) -> list[str]:
    return re.findall(r'name="align" value="(\d+-\d+)"', body)


def test_faculty_maps_course_outcomes_and_changes_the_map(app, driver, platform, requests_mock):
    client, lid = course_with_outcomes(app, driver, platform, requests_mock)
    empty = client.get(f"/frameworks/crosswalk?lid={lid}").get_data(as_text=True)
    assert "no outcomes in Career Credit yet" in empty
    page = client.get(f"/frameworks/lms?lid={lid}")
    client.post("/frameworks/lms/read/moodle", data={"lid": lid, "csrf_token": csrf_token(page)})
    grid = client.get(f"/frameworks/crosswalk?lid={lid}")
    body = grid.get_data(as_text=True)
    assert grid.status_code == 200
    assert "NACE Career Readiness Competencies" in body
    values = cell_values(body)
    assert len(values) == 3 * 8  # three course outcomes x eight competencies
    assert "Communication develops Communication" in body  # each checkbox has a label
    chosen = [values[1], values[8 + 6]]
    resp = client.post(
        "/frameworks/crosswalk", data={"lid": lid, "csrf_token": csrf_token(grid), "align": chosen}
    )
    assert resp.status_code == 303
    after = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Crosswalk saved: 2 added, 0 removed." in after
    assert len(re.findall(r'value="\d+-\d+" id="[^"]+" checked', after)) == 2
    resp = client.post(
        "/frameworks/crosswalk",
        data={"lid": lid, "csrf_token": csrf_token(grid), "align": [chosen[1]]},
    )
    assert "1 removed" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(
            select(OutcomeAlignment).where(OutcomeAlignment.tenant_id == platform.tenant_id)
        ).all()
        pairs = {f"{a.source_item_id}-{a.target_item_id}" for a in rows}
    assert pairs == {chosen[1]}


def test_a_cell_outside_the_grid_is_refused(app, driver, platform, requests_mock):
    client, lid = course_with_outcomes(app, driver, platform, requests_mock, sub="prof-2")
    page = client.get(f"/frameworks/lms?lid={lid}")
    client.post("/frameworks/lms/read/moodle", data={"lid": lid, "csrf_token": csrf_token(page)})
    grid = client.get(f"/frameworks/crosswalk?lid={lid}")
    good = cell_values(grid.get_data(as_text=True))[0]
    row, col = good.split("-")
    resp = client.post(
        "/frameworks/crosswalk",
        data={"lid": lid, "csrf_token": csrf_token(grid), "align": [good, f"{col}-{row}"]},
        follow_redirects=True,
    )
    assert "reload the page and try again" in resp.get_data(as_text=True)
    bad = client.post(
        "/frameworks/crosswalk", data={"lid": lid, "csrf_token": csrf_token(grid), "align": ["x"]}
    )
    assert bad.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(
                select(OutcomeAlignment).where(OutcomeAlignment.tenant_id == platform.tenant_id)
            )
            is None
        )


def test_teaching_assistants_see_but_cannot_save(app, driver, platform, requests_mock):
    client, lid = course_with_outcomes(app, driver, platform, requests_mock, sub="ta-1", role="ta")
    grid = client.get(f"/frameworks/crosswalk?lid={lid}")
    assert grid.status_code == 200  # control: reading is allowed
    resp = client.post(
        "/frameworks/crosswalk", data={"lid": lid, "csrf_token": launch_csrf(app, lid)}
    )
    assert resp.status_code == 403 and reason(resp) == "read_only"
