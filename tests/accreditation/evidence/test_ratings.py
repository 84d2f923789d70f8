"""Student self-assessment (indirect evidence) through the pages, faculty ratings refused
outside their course, and supervisor evaluations recorded by the runner's tick without any
page being opened."""

from __future__ import annotations

import re

from sqlalchemy import select

from accreditation.evidence import services
from accreditation.evidence.models import Evidence
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.jobs.runner import _tick_hooks, run_tick_hooks
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept

from .test_evidence import evidence_count, rated_engagement


def engagement_for(app, school, seed_listing, student, competencies):
    listing_id = seed_listing(school.tenant_id, competencies=competencies, title="Data sprint")
    with app.app_context():
        engagement = accept(load_launch(student.lid), listing_id)
        db.session.commit()
        return engagement.id


def levels(html: str) -> dict[str, str]:
    found = re.findall(
        r"<legend>([^<]+?)(?: <span[^>]*>[^<]*</span>)?</legend>[\s\S]*?name=\"level-(\d+)\"",
        html,
    )
    return {name.strip(): item_id for name, item_id in found}


def test_student_self_assessment_is_indirect_evidence(app, school, seed_listing):
    student = school.person("student")
    competencies = ["Teamwork", "Communication"]
    engagement_id = engagement_for(app, school, seed_listing, student, competencies)
    url = f"/evidence/self-assessment/{engagement_id}"
    page = student.client.get(f"{url}?lid={student.lid}")
    assert page.status_code == 200
    rows = levels(page.get_data(as_text=True))
    assert set(rows) == {"Teamwork", "Communication"}
    base = {"lid": student.lid, "csrf_token": csrf_token(page)}

    done = student.client.post(
        url, data={**base, f"level-{rows['Teamwork']}": "3", f"level-{rows['Communication']}": "na"}
    )
    assert done.status_code == 303
    with app.app_context():
        got = db.session.scalars(
            select(Evidence).where(Evidence.tenant_id == school.tenant_id)
        ).all()
        assert {(e.item_version.name, e.level, e.source, e.method) for e in got} == {
            ("Teamwork", 3, "indirect", "self_assessment"),
            ("Communication", None, "indirect", "self_assessment"),
        }
    # changing one rating corrects its row rather than adding one
    student.client.post(
        url, data={**base, f"level-{rows['Teamwork']}": "4", f"level-{rows['Communication']}": "na"}
    )
    assert evidence_count(app, school.tenant_id) == 2

    # every competency must be rated (positive control above)
    partial = student.client.post(url, data={**base, f"level-{rows['Teamwork']}": "2"})
    assert partial.status_code == 422
    assert "Rate “Communication” or choose “Not applicable”." in partial.get_data(as_text=True)

    other = school.person("student")
    refused = other.client.get(f"{url}?lid={other.lid}")
    assert refused.status_code == 404
    assert "not one of yours" in refused.get_data(as_text=True)


def test_faculty_rate_only_their_course_and_students_cannot(app, school, seed_listing):
    student = school.person("student")
    engagement_id = engagement_for(app, school, seed_listing, student, ["Teamwork"])
    prof = school.person("faculty")
    page = prof.client.get(f"/evidence/ratings/{engagement_id}?lid={prof.lid}")
    assert page.status_code == 200 and "Teamwork" in page.get_data(as_text=True)
    index = prof.client.get(f"/evidence/ratings?lid={prof.lid}").get_data(as_text=True)
    assert f"/evidence/ratings/{engagement_id}" in index

    elsewhere = school.person("faculty", course="course-2")
    refused = elsewhere.client.get(f"/evidence/ratings/{engagement_id}?lid={elsewhere.lid}")
    assert refused.status_code == 404
    assert "not in this course" in refused.get_data(as_text=True)
    as_student = student.client.get(f"/evidence/ratings/{engagement_id}?lid={student.lid}")
    assert as_student.status_code == 403


def test_runner_tick_records_supervisor_evidence_without_a_page(app, school, seed_listing):
    student = school.person("student")
    rated_engagement(app, school, seed_listing, student, {"Teamwork": (3, "")})
    assert evidence_count(app, school.tenant_id) == 0
    assert "evidence.supervisor_sync" in _tick_hooks
    services._last_tick.clear()
    run_tick_hooks(app)  # what the runner thread does every interval
    assert evidence_count(app, school.tenant_id) == 1
    services._last_tick.clear()
    assert services.run_scheduled(app) == 0  # idempotent: nothing new
    assert evidence_count(app, school.tenant_id) == 1
    assert services.run_scheduled(app) == 0  # throttled within the interval
    # a newly committed evaluation lifts the throttle: recorded at the very next tick
    rated_engagement(app, school, seed_listing, student, {"Teamwork": (4, "")})
    assert services.run_scheduled(app) == 1
    assert services.run_scheduled(app) == 0
