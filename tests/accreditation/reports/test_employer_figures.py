"""The advisor's employer figures on a small known dataset, through HTTP: the page (table,
chart with its data table, offers by employer and program), the CSV, the term filter, who may
see it and tenant isolation.

Acme Analytics: listing L1 (2 openings) and L2 (2 openings), created 30 days ago.
- L1: s1 applied on day 2 and was engaged on day 5 (E1, completed, rated 3 and 4, offered a
  full-time job, accepted); s2 engaged on day 7 and canceled (E2).
- L2: s3 applied on day 4, engaged on day 6 (E4, completed, rated 2 and N/A, no offer);
  s1 engaged again on day 8 (E3, active).
So: fill 3 of 4 = 75%, days to first applicant 2 and 4 (median 3), to fill 5 and 6 (5.5),
completion 2 of 3 = 67%, evaluation (3 + 4 + 2) / 3 = 3, repeat engagement 1 of 2 students =
50%, a repeat employer, 1 offer over 2 completed = 50%, 1 accepted.
Bay Robotics: one listing (1 opening) created before the term, never applied to."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from internships.employers.portal import offers
from internships.models import Listing
from internships.profile.models import StudentProfile
from internships.work.models import Application, Engagement
from internships.work.services.evaluations import submit_evaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Course, utcnow
from tests.internships.work.helpers import accept

START = utcnow() - dt.timedelta(days=30)


def _at(days: float) -> dt.datetime:
    return START + dt.timedelta(days=days)


def _engage(person, listing_id: int, applied: float, engaged: float, status: str) -> Engagement:
    engagement = accept(person.ctx(), listing_id)
    engagement.created_at = _at(engaged)
    engagement.status = status
    db.session.get(Application, engagement.application_id).created_at = _at(applied)
    db.session.flush()
    return engagement


def _rate(engagement: Engagement, levels: dict[str, int | None]) -> None:
    ratings = {c: (levels.get(c), "") for c in engagement.competencies}
    actor = Actor(engagement.tenant_id, "supervisor (test)")
    submit_evaluation(actor, engagement.id, "Sam Supervisor", ratings, "")


def _dataset(app, school, seed_listing) -> dict[str, object]:
    comps = ["Teamwork", "Communication"]
    l1 = seed_listing(school.tenant_id, title="Survey sprint", openings=2, competencies=comps)
    l2 = seed_listing(school.tenant_id, title="Dashboard build", openings=2, competencies=comps)
    l3 = seed_listing(school.tenant_id, employer="Bay Robotics", title="Sensor log review")
    s1, s2, s3 = (school.person("student") for _ in range(3))
    advisor = school.person("advisor")
    with app.app_context():
        tenant_id = school.tenant_id
        for lid, created in ((l1, _at(0)), (l2, _at(0)), (l3, _at(-100))):
            listing = db.session.get(Listing, lid)
            listing.created_at, listing.approved_at = created, None
        e1 = _engage(s1, l1, 2, 5, "completed")
        _engage(s2, l1, 3, 7, "cancelled")
        e4 = _engage(s3, l2, 4, 6, "completed")
        _engage(s1, l2, 9, 8, "active")
        _rate(e1, {"Teamwork": 3, "Communication": 4})
        _rate(e4, {"Teamwork": 2, "Communication": None})
        supervisor = Actor(tenant_id, "supervisor (test)")
        offers.answer(supervisor, e1, True, "full_time", "")
        offers.answer(supervisor, e4, False, "", "")
        s1_id = e1.student_id
        offers.decide(Actor(tenant_id, "s1", user_id=s1_id), e1, accepted=True)
        db.session.add(StudentProfile(tenant_id=tenant_id, user_id=s1_id, program="Economics"))
        course = db.session.scalar(
            select(Course).where(Course.tenant_id == tenant_id, Course.context_id == "course-1")
        )
        course.term_name = "Fall term"
        course.term_start = (START - dt.timedelta(days=5)).date().isoformat()
        course.term_end = (START + dt.timedelta(days=90)).date().isoformat()
        db.session.commit()
    return {"advisor": advisor}


def _csv_rows(resp) -> dict[str, dict[str, str]]:
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")))
    return {row["Employer"]: row for row in reader}


def test_the_figures_of_a_known_dataset(app, school, seed_listing):
    advisor = _dataset(app, school, seed_listing)["advisor"]
    rows = _csv_rows(advisor.client.get(f"/reports/employer-figures.csv?lid={advisor.lid}"))
    acme = rows["Acme Analytics"]
    assert acme["Listings"] == "2" and acme["Openings"] == "4"
    assert acme["Fill rate (%)"] == "75"
    assert acme["Median days to first applicant"] == "3"
    assert acme["Median days to fill"] == "5.5"
    assert acme["Completion rate (%)"] == "67"
    assert acme["Average evaluation (1-4)"] == "3"
    assert acme["Repeat engagement rate (%)"] == "50"
    assert acme["Repeat employer"] == "yes"
    assert (acme["Offers made"], acme["Offers accepted"]) == ("1", "1")
    assert acme["Conversion rate (%)"] == "50"
    bay = rows["Bay Robotics"]
    assert (bay["Fill rate (%)"], bay["Median days to fill"], bay["Conversion rate (%)"]) == (
        "0",
        "",
        "",
    )
    page = advisor.client.get(f"/reports/employer-figures?lid={advisor.lid}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Fill rate and conversion rate per employer" in text  # the chart's data table
    assert "Economics" in text  # offers by employer and program
    termed = _csv_rows(
        advisor.client.get(f"/reports/employer-figures.csv?lid={advisor.lid}&term=Fall+term")
    )
    assert set(termed) == {"Acme Analytics"}  # Bay's listing is older than the term


def test_only_advisors_of_the_institution_see_the_figures(app, school, seed_listing, make_school):
    _dataset(app, school, seed_listing)
    student = school.person("student")
    assert student.client.get(f"/reports/employer-figures?lid={student.lid}").status_code == 403
    other = make_school().person("advisor")
    rows = _csv_rows(other.client.get(f"/reports/employer-figures.csv?lid={other.lid}"))
    assert rows == {}
    text = other.client.get(f"/reports/employer-figures?lid={other.lid}").get_data(as_text=True)
    assert "Acme Analytics" not in text
