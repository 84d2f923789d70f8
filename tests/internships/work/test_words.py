"""Words people read (issue 17): a refused hours value states the real rule (at most 12 hours
a day, quarter hours, more than 0), states show as words ("Waiting for review", not
"pending") on the student's and the instructor's pages, and counts agree with their nouns."""

from __future__ import annotations

import datetime as dt

from accreditation.attainment.report_pdf import coverage_line
from accreditation.attainment.services import Coverage
from tests.helpers import csrf_token

from .helpers import engaged

TODAY = dt.date.today()


def _log_hours(student, engagement_id: int, hours: str):
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    return student.client.post(
        f"{url}",
        data={
            "form": "hours",
            "lid": student.lid,
            "csrf_token": token,
            "work_date": TODAY.isoformat(),
            "hours": hours,
            "description": f"Worked {hours} hours on interviews",
        },
    )


def test_a_refused_hours_value_says_the_rule_it_breaks(app, world):
    student = world["student"]
    engagement_id = engaged(app, world)
    ok = _log_hours(student, engagement_id, "2")  # control: a plain value is logged
    assert ok.status_code == 303, ok.get_data(as_text=True)[:500]
    too_many = _log_hours(student, engagement_id, "1000")
    text = too_many.get_data(as_text=True)
    assert too_many.status_code == 422
    assert "You can log at most 12 hours a day." in text
    assert "Give the hours in quarter hours" not in text  # the message before the fix
    odd = _log_hours(student, engagement_id, "1.1")
    assert odd.status_code == 422
    assert "Give the hours in quarter hours" in odd.get_data(as_text=True)
    none = _log_hours(student, engagement_id, "0")
    assert none.status_code == 422
    assert "Give the hours worked, more than 0" in none.get_data(as_text=True)


def test_hour_and_engagement_states_read_as_words_on_every_page(app, world):
    student, faculty = world["student"], world["faculty"]
    engagement_id = engaged(app, world)
    assert _log_hours(student, engagement_id, "2").status_code == 303
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    hours_table = page.get_data(as_text=True).split("Worked 2 hours on interviews")[1]
    assert "Waiting for review" in hours_table.split("</tr>")[0]
    assert ">Pending<" not in page.get_data(as_text=True)
    # the instructor's credit review (another blueprint) uses the same words
    with app.app_context():
        student_id = student.ctx().user_id
    review = faculty.client.get(f"/credit/students/{student_id}?lid={faculty.lid}")
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    assert "Status: Active" in text and "<td>Waiting for review" in text
    assert "<td>Pending" not in text


def test_the_pdf_coverage_counts_agree_with_their_nouns():
    def sentence(courses: int, listings: int) -> str:
        cover = Coverage(
            framework=None,  # type: ignore[arg-type]
            outcomes=[],
            courses=[None] * courses,  # type: ignore[list-item]
            listings=[],
            counts={},
            totals={},
            min_evidence=3,
            listings_shown=listings,
        )
        return coverage_line(cover)

    assert "Evidence came from 1 course and 1 listing;" in sentence(1, 1)
    assert "Evidence came from 2 courses and 0 listings;" in sentence(2, 0)
