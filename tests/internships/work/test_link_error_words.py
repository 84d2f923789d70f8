"""Nobody is told to ask an LMS administrator they do not have: a page opened from an emailed
link (supervisors, employers: no LMS account) names the career center that sent the link."""

from __future__ import annotations

from .helpers import public_client


def test_an_error_on_a_link_page_names_the_career_center(app, world):
    page = public_client(app).get("/supervisor/hours/not-a-link/extra/parts")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "the career center that sent you the link" in text
    assert "LMS administrator" not in text


def test_an_error_inside_the_lms_still_names_the_lms_administrator(app, world):
    student = world["student"]
    page = student.client.get(f"/work/engagements/987654321?lid={student.lid}")
    assert page.status_code == 404
    assert "your LMS administrator" in page.get_data(as_text=True)
