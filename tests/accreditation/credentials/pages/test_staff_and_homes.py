"""What faculty, advisors and the student's home show of credentials: the credit review page's
"Credential issued on … · view" (the course's faculty only), the advisor's issuance counts,
the student's home panel leading to My credentials and the portfolio."""

from __future__ import annotations

from accreditation.credentials.issuance.services import issuance_counts
from lti_tool.extensions import db
from tests.helpers import counted, reason

from ..helpers import awarded
from .conftest import finished, issue, valid_credential


def test_faculty_see_the_credential_on_the_review_page_and_open_it(app, world):
    engagement_id, credential_id = finished(app, world)
    faculty, student = world["faculty"], world["student"]
    with app.app_context():
        student_id = student.user_id
    review = faculty.client.get(f"/credit/students/{student_id}?lid={faculty.lid}")
    text = review.get_data(as_text=True)
    assert review.status_code == 200, text[:500]
    assert "Credential issued on" in text
    assert f"/credentials/view/{credential_id}" in text
    view = faculty.client.get(f"/credentials/view/{credential_id}?lid={faculty.lid}")
    shown = view.get_data(as_text=True)
    assert view.status_code == 200
    assert 'data-state="valid"' in shown
    name = valid_credential(app, engagement_id).document["credentialSubject"]["achievement"]
    assert name["name"] in shown


def test_faculty_of_another_course_and_students_cannot_open_it(app, world):
    _, credential_id = finished(app, world)
    school = world["school"]
    elsewhere = school.person("faculty", course="course-2")
    resp = elsewhere.client.get(f"/credentials/view/{credential_id}?lid={elsewhere.lid}")
    assert resp.status_code == 404
    student = world["student"]
    resp = student.client.get(f"/credentials/view/{credential_id}?lid={student.lid}")
    assert resp.status_code == 403 and reason(resp) == "role"
    advisor = world["advisor"]
    assert (
        advisor.client.get(f"/credentials/view/{credential_id}?lid={advisor.lid}").status_code
        == 200
    )


def test_another_institution_cannot_open_it(app, world, make_school):
    _, credential_id = finished(app, world)
    advisor = make_school().person("advisor")
    resp = advisor.client.get(f"/credentials/view/{credential_id}?lid={advisor.lid}")
    assert resp.status_code == 404


def test_the_advisor_home_shows_the_issuance_counts(app, world):
    advisor = world["advisor"]
    before = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    assert "Credentials issued" in before
    finished(app, world)
    with app.app_context():
        counts = issuance_counts(world["school"].tenant_id)
        db.session.rollback()
    assert counts["valid"] == 1 and counts["students"] == 1
    text = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    panel = text.split('id="credentials-counts-heading"')[1].split("</section>")[0]
    assert '<span class="stat-number">1</span> <span class="stat-label">valid credentials' in panel
    recent = '<span class="stat-number">1</span> <span class="stat-label">issued in the last 30'
    assert recent in panel
    assert "students holding one" in panel


def test_the_student_home_leads_to_my_credentials_and_the_portfolio(app, world):
    student = world["student"]
    home = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "Your credentials" in home
    assert f"/credentials/mine?lid={student.lid}" in home
    assert f"/credentials/portfolio?lid={student.lid}" in home
    finished(app, world)
    home = student.client.get(f"/home/student?lid={student.lid}").get_data(as_text=True)
    assert "You hold 1 valid credential" in home


def test_the_review_page_shows_the_credit_awards_credential(app, school):
    with app.app_context():
        faculty, student, award = awarded(school, hours=95)
        student_id, award_id = student.user_id, award.id
    review_url = f"/credit/students/{student_id}?lid={faculty.lid}"
    assert "Credential issued on" not in faculty.client.get(review_url).get_data(as_text=True)
    issue(app, school.tenant_id)
    with app.app_context():
        from accreditation.credentials.issuance.services import credential_for_award

        credential = credential_for_award(school.tenant_id, award_id)
        assert credential is not None
        credential_id = credential.id
    text = faculty.client.get(review_url).get_data(as_text=True)
    decision = text.split('id="decision-heading"')[1]
    assert "Credential issued on" in decision
    assert f"/credentials/view/{credential_id}" in decision
    view = faculty.client.get(f"/credentials/view/{credential_id}?lid={faculty.lid}")
    assert view.status_code == 200 and 'data-state="valid"' in view.get_data(as_text=True)


def test_the_review_page_reads_the_engagements_and_the_awards_credentials_at_once(app, school):
    """Both lines, the engagement's under its evidence and the award's in the decision panel,
    from one statement; a teaching assistant (read-only: no decision panel) sees the first."""
    assistant = school.person("ta")
    with app.app_context():
        faculty, student, _award = awarded(school, hours=95)
        student_id = student.user_id
    issue(app, school.tenant_id)
    with app.app_context(), counted() as seen:
        text = faculty.client.get(f"/credit/students/{student_id}?lid={faculty.lid}").get_data(
            as_text=True
        )
    evidence, decision = text.split('id="decision-heading"')
    assert "Credential issued on" in evidence and "the credential for" in evidence
    assert "Credential issued on" in decision and "the credit award's credential" in decision
    assert sum(" FROM credential " in " ".join(f" {sql} ".split()) for sql in seen) == 1, seen
    shown = assistant.client.get(f"/credit/students/{student_id}?lid={assistant.lid}")
    evidence, decision = shown.get_data(as_text=True).split('id="decision-heading"')
    assert "the credential for" in evidence and "Credential issued on" not in decision
