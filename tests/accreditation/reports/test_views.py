"""The advisor reports through real signed launches: counts, the student table (filters,
search, paging), at-risk flags with their reasons and per-tenant thresholds, private notes,
employer outcomes, progress reports (page, PDF, CSV) and who may reach each."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from accreditation.reports.models import AdvisorNote
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from lti_tool.notify.models import Notification
from tests.helpers import csrf_token

from .conftest import World


def get(person, path: str, **params):
    sep = "&" if "?" in path else "?"
    query = "".join(f"&{k}={v}" for k, v in params.items())
    return person.client.get(f"{path}{sep}lid={person.lid}{query}")


def rows_of(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")  # UTF-8's byte order mark, for Excel
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))


def test_advisor_overview_counts_this_term_and_links_each_list(world: World):
    page = get(world.advisor, "/reports/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Counts for Fall term" in body
    counts = dict(rows_of(get(world.advisor, "/reports/counts.csv"))[1:][i][::2] for i in range(7))
    assert counts["Open listings"] == "1"  # the sprint's three openings are taken: filled
    assert counts["Applications"] == "4"
    assert counts["Active engagements"] == "2"  # Amara's and Chloé's
    assert counts["Hours confirmed"] == "32"  # (120 + 600 + 1200) minutes
    assert counts["Grades that failed to reach the LMS"] == "0"
    for endpoint in ("/reports/students?", "/reports/grades?", "/reports/employers?"):
        assert endpoint in body.replace("&amp;", "&")
    home = world.advisor.client.get(f"/home/advisor?lid={world.advisor.lid}")
    assert "This term at a glance" in home.get_data(as_text=True)


def test_student_table_filters_searches_and_pages(world: World, app):
    page = get(world.advisor, "/reports/students")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4 engagements" in body
    assert "Amara Okafor" in body and "Chloé Martin" in body
    # hours against plan: Amara logged 2 of 20 planned hours
    assert "2 of 20 h (10%)" in body

    def names(**params) -> set[str]:
        rows = rows_of(get(world.advisor, "/reports/students.csv", **params))
        return {r[0] for r in rows[1:]}

    assert names(q="okaf") == {"Amara Okafor"}
    assert names(program="Computer%20Science") == {"Benjamin Tran"}
    assert names(state="submitted") == {"Benjamin Tran"}
    assert names(employer=_employer_id(app, world, "Beta Labs")) == {"Benjamin Tran"}
    assert names(course=world.ids["course"]) == {"Amara Okafor", "Benjamin Tran", "Chloé Martin"}
    assert names(term="Fall%20term") == names(course=world.ids["course"])
    assert names(term="No%20such%20term") == set()

    with app.app_context():
        import datetime as dt

        from accreditation.reports.services.risk import Thresholds
        from accreditation.reports.services.students import StudentQuery, student_page
        from lti_tool.models import utcnow

        first = student_page(
            world.tenant_id, StudentQuery(per_page=3), Thresholds(), dt.date.today(), utcnow()
        )
        second = student_page(
            world.tenant_id,
            StudentQuery(per_page=3, page=2),
            Thresholds(),
            dt.date.today(),
            utcnow(),
        )
        assert (first.total, first.pages, len(first.rows), len(second.rows)) == (4, 2, 3, 1)
        seen = {r.engagement_id for r in first.rows}
        assert seen.isdisjoint(r.engagement_id for r in second.rows)


def _employer_id(app, world: World, name: str) -> int:
    from internships.models import Employer

    with app.app_context():
        return int(
            db.session.scalar(
                select(Employer.id).where(
                    Employer.tenant_id == world.tenant_id, Employer.name == name
                )
            )
        )


def _flags(world: World, **params) -> dict[str, str]:
    """engagement listing + student -> the at-risk column of the CSV."""
    rows = rows_of(get(world.advisor, "/reports/students.csv", **params))
    return {f"{r[0]}|{r[6]}": r[15] for r in rows[1:]}


def test_each_at_risk_rule_flags_its_case_with_the_reason(world: World):
    flags = _flags(world)
    amara = flags["Amara Okafor|Market research sprint"]
    assert "No hours logged in the last 14 days" in amara
    assert "Ends within 14 days with under 60% of the planned hours" in amara
    late = flags['Benjamin Tran|\'=HYPERLINK("http://evil.example")']
    assert late == "No supervisor evaluation 7 days after the end date."
    low = flags["Benjamin Tran|Market research sprint"]
    assert low == "A supervisor rated a competency at the lowest level."
    chloe = flags["Chloé Martin|Market research sprint"]
    assert chloe == "Accepted over 7 days ago; the learning agreement is not acknowledged."
    # the filters agree with the reasons
    assert set(_flags(world, risk="inactive")) == {"Amara Okafor|Market research sprint"}
    assert set(_flags(world, risk="low_rating")) == {"Benjamin Tran|Market research sprint"}
    assert len(_flags(world, risk="any")) == 4
    page = get(world.advisor, "/reports/students", risk="evaluation_overdue")
    text = page.get_data(as_text=True)
    assert "Students at risk: Supervisor evaluation overdue" in text
    assert "1 engagement" in text


def test_thresholds_are_per_tenant_and_change_the_flags(world: World, app):
    page = get(world.advisor, "/reports/settings")
    assert page.status_code == 200
    form = {
        "lid": world.advisor.lid,
        "csrf_token": csrf_token(page),
        "inactive_days": "30",
        "deadline_days": "14",
        "deadline_min_percent": "60",
        "lowest_level": "1",
        "evaluation_overdue_days": "7",
        "agreement_days": "14",
    }
    saved = world.advisor.client.post("/reports/settings", data=form)
    assert saved.status_code == 303
    flags = _flags(world)
    assert "No hours logged" not in flags["Amara Okafor|Market research sprint"]
    assert flags["Chloé Martin|Market research sprint"] == ""
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == world.tenant_id,
                AuditEntry.action == "reports.at_risk_thresholds",
            )
        )
        assert entry is not None and entry.detail["new"]["inactive_days"] == 30
    bad = world.advisor.client.post("/reports/settings", data={**form, "lowest_level": "4"})
    assert bad.status_code == 422
    assert "Use a number from 1 to 3." in bad.get_data(as_text=True)
    no_token = world.advisor.client.post(
        "/reports/settings", data={k: v for k, v in form.items() if k != "csrf_token"}
    )
    assert no_token.status_code == 400
    faculty = get(world.faculty, "/reports/settings")
    assert faculty.status_code == 403


def test_notes_are_private_to_advisors(world: World, app):
    sid = world.ids["amara"]
    page = get(world.advisor, f"/reports/students/{sid}")
    assert page.status_code == 200
    saved = world.advisor.client.post(
        f"/reports/students/{sid}",
        data={
            "form": "note",
            "lid": world.advisor.lid,
            "csrf_token": csrf_token(page),
            "body": "Call about the missing hours; she mentioned an exam week.",
            "follow_up_on": "2030-01-15",
        },
    )
    assert saved.status_code == 303
    shown = get(world.advisor, f"/reports/students/{sid}").get_data(as_text=True)
    assert "she mentioned an exam week" in shown and "2030-01-15" in shown
    notes_csv = rows_of(get(world.advisor, f"/reports/students/{sid}/notes.csv"))
    assert notes_csv[1][3] == "Call about the missing hours; she mentioned an exam week."
    empty = world.advisor.client.post(
        f"/reports/students/{sid}",
        data={
            "lid": world.advisor.lid,
            "csrf_token": csrf_token(page),
            "form": "note",
            "body": " ",
        },
    )
    assert empty.status_code == 422
    assert "Write the note." in empty.get_data(as_text=True)
    own = get(world.amara, "/reports/me").get_data(as_text=True)
    assert "Amara Okafor" in own
    assert "exam week" not in own and "Follow-up notes" not in own
    with app.app_context():
        audit = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == world.tenant_id, AuditEntry.action == "reports.note"
            )
        )
        assert audit is not None and "exam" not in str(audit.detail)
        assert db.session.scalar(select(AdvisorNote.body).where(AdvisorNote.student_id == sid))


def test_progress_report_page_pdf_and_csv(world: World):
    sid = world.ids["ben"]
    page = get(world.advisor, f"/reports/students/{sid}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Progress report: Benjamin Tran" in body
    assert body.count('src="data:image/svg+xml;base64,') == 3  # hours, competencies, cohort
    # the cohort: everyone with work in the student's course, hours or not
    assert "The cohort is the 3 students in BUS 390 Internship Seminar." in body
    cohort = rows_of(get(world.advisor, f"/reports/students/{sid}/cohort.csv"))
    assert [r[1:] for r in cohort[1:] if r[1] != "0"] == [["2", ""], ["1", "yes"]]
    assert "Strong analysis; needs to show up for the team." in body
    assert "Teamwork: Missed two stand-ups." in body
    assert "Emerging Knowledge" in body  # the level reached, named
    comps = rows_of(get(world.advisor, f"/reports/students/{sid}/competencies.csv"))
    by_name = {r[0]: r[1:3] for r in comps[1:]}
    assert by_name["Teamwork"] == ["1", "Emerging Knowledge"]
    assert by_name["Communication"] == ["3", "Early Application"]
    hours = rows_of(get(world.advisor, f"/reports/students/{sid}/hours.csv"))
    assert hours[0] == ["Week starting", "Confirmed hours", "Not yet confirmed hours"]
    assert sum(float(r[1]) for r in hours[1:]) == 30.0
    assert sum(float(r[2]) for r in hours[1:]) == 1.0
    engagements = rows_of(get(world.advisor, f"/reports/students/{sid}/engagements.csv"))
    # a listing title that is a spreadsheet formula is written as text
    assert '\'=HYPERLINK("http://evil.example")' in [r[0] for r in engagements[1:]]
    pdf = get(world.advisor, f"/reports/students/{sid}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) > 5000
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert get(world.advisor, f"/reports/students/{sid}/nonsense.csv").status_code == 404


def test_students_reach_only_their_own_report_and_get_it_shared(world: World, app):
    own = get(world.amara, "/reports/me")
    assert own.status_code == 200
    assert "Amara Okafor" in own.get_data(as_text=True)
    pdf = get(world.amara, "/reports/me/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    mine = rows_of(get(world.amara, "/reports/me/engagements.csv"))
    assert mine[1][0] == "Market research sprint"
    other = get(world.amara, f"/reports/students/{world.ids['ben']}")
    assert other.status_code == 403
    assert "not available to your role (student)" in other.get_data(as_text=True)
    assert get(world.amara, f"/reports/students/{world.ids['ben']}/report.pdf").status_code == 403
    assert get(world.amara, "/reports/students").status_code == 403
    home = world.amara.client.get(f"/home/student?lid={world.amara.lid}").get_data(as_text=True)
    assert "Read your progress report" in home
    # the advisor shares it: the student is notified and sees the message on their home
    page = get(world.advisor, f"/reports/students/{world.ids['amara']}")
    shared = world.advisor.client.post(
        f"/reports/students/{world.ids['amara']}",
        data={
            "form": "share",
            "lid": world.advisor.lid,
            "csrf_token": csrf_token(page),
            "message": "Let's talk soon.",
        },
    )
    assert shared.status_code == 303
    home = world.amara.client.get(f"/home/student?lid={world.amara.lid}").get_data(as_text=True)
    assert "Your career advisor shared your progress report" in home
    assert "Let&#39;s talk soon." in home
    with app.app_context():
        assert db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == world.ids["amara"], Notification.kind == "report_shared"
            )
        )


def test_faculty_reach_none_of_the_report_pages(world: World, app):
    paths = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("reports.") and "GET" in rule.methods
    ]
    assert len(paths) >= 14
    for path in paths:
        url = (
            path.replace("<int:student_id>", str(world.ids["amara"]))
            .replace("<int:employer_id>", "1")
            .replace("<table>", "hours")
        )
        resp = get(world.faculty, url)
        assert resp.status_code == 403, url
        assert "not available to your role (instructor)" in resp.get_data(as_text=True)


def test_advisors_see_only_their_tenant(world: World, make_school, app):
    other = make_school().person("advisor")
    assert get(world.advisor, f"/reports/students/{world.ids['amara']}").status_code == 200
    refused = get(other, f"/reports/students/{world.ids['amara']}")
    assert refused.status_code == 404
    assert "not in your institution" in refused.get_data(as_text=True)
    assert get(other, f"/reports/students/{world.ids['amara']}/report.pdf").status_code == 404
    employer = _employer_id(app, world, "Beta Labs")
    assert get(world.advisor, f"/reports/employers/{employer}").status_code == 200
    assert get(other, f"/reports/employers/{employer}").status_code == 404
    assert rows_of(get(other, "/reports/students.csv"))[1:] == []
    assert "0 engagements" in get(other, "/reports/students").get_data(as_text=True)


def test_employer_outcomes(world: World, app):
    page = get(world.advisor, "/reports/employers")
    assert page.status_code == 200
    download = get(world.advisor, "/reports/employers.csv")
    header, *body = rows_of(download)
    rows = {r[0]: r for r in body}
    acme, beta = rows["Acme Analytics"], rows["Beta Labs"]
    # Acme: 3 openings, 3 engagements; none ended yet; one rating average (1 + 3) / 2
    assert acme[1:6] == ["1", "3", "100%", acme[4], ""]
    assert acme[9] == "2"
    # Beta: hourly $20 x 10 h; one of three openings taken. Amounts are numbers, the
    # currency in the header (no "$" in a cell), written bare in the file
    assert header[6:8] == ["Median pay (USD)", "Median hourly rate (USD)"]
    assert beta[3] == "33%" and beta[6:8] == ["200.00", "20.00"]
    assert ",33%,0,,200.00,20.00,0," in download.data.decode("utf-8-sig")
    assert acme[6:8] == ["500.00", "25.00"]  # a $500 fee for 20 hours
    beta_id = _employer_id(app, world, "Beta Labs")
    listing_rows = rows_of(get(world.advisor, f"/reports/employers/{beta_id}.csv"))
    assert listing_rows[1][0].startswith("'=HYPERLINK")
    # the listings CSV too: the status in words, amounts as numbers beside their currency
    head, first = listing_rows[0], listing_rows[1]
    assert head[9:12] == ["Pay", "Hourly rate", "Currency"]
    assert first[1] == "Open" and first[9:12] == ["200.00", "20.00", "USD"]
    listings_page = get(world.advisor, f"/reports/employers/{beta_id}").get_data(as_text=True)
    assert "$200.00" in listings_page and "$20.00" in listings_page
    assert "$" in page.get_data(as_text=True)  # the employers page: amounts in words
    assert get(world.advisor, "/reports/employers/999999").status_code == 404


def test_grade_sync_lists(world: World):
    for state in ("pending", "failed"):
        page = get(world.advisor, "/reports/grades", state=state)
        assert page.status_code == 200
        assert rows_of(get(world.advisor, "/reports/grades.csv", state=state))[0][0] == "Message"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("plain", "plain"),
        (-5, "-5"),
        (2.50, "2.5"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    from accreditation.reports.services.common import safe_cell

    assert safe_cell(value) == cell


def test_notes_csv_defuses_a_formula_after_a_separator(world: World):
    """A spreadsheet splitting on ';' (or a naive ',' split) must not find a formula."""
    sid = world.ids["ben"]
    page = get(world.advisor, f"/reports/students/{sid}")
    notes = (
        "Met her; all fine",  # positive control: written as typed
        'Employer wrote back;=HYPERLINK("http://evil.example","open")',
        "x, +cmd|' /C calc'!A0",
    )
    for body in notes:
        saved = world.advisor.client.post(
            f"/reports/students/{sid}",
            data={
                "lid": world.advisor.lid,
                "csrf_token": csrf_token(page),
                "form": "note",
                "body": body,
            },
        )
        assert saved.status_code == 303
    cells = {row[3] for row in rows_of(get(world.advisor, f"/reports/students/{sid}/notes.csv"))}
    assert "Met her; all fine" in cells
    assert 'Employer wrote back;\'=HYPERLINK("http://evil.example","open")' in cells
    assert "x, '+cmd|' /C calc'!A0" in cells


def test_credit_awarded_shows_in_the_counts_the_table_and_the_report(world: World, app):
    from credit.models import CreditAward

    with app.app_context():
        db.session.add(
            CreditAward(
                tenant_id=world.tenant_id,
                course_id=world.ids["course"],
                student_id=world.ids["ben"],
                credits=2,
                approved_minutes=1800,
                grading_mode="pass_fail",
                score_given=1.0,
                score_maximum=1.0,
                grade_label="Pass",
                engagement_ids=[world.ids["e_ben_low"]],
                decided_by="Prof <prof@example.edu> (user 0)",
                idempotency_key="reports-test-award",
            )
        )
        db.session.commit()
    counts = {r[0]: r[2] for r in rows_of(get(world.advisor, "/reports/counts.csv"))[1:]}
    assert counts["Credits awarded"] == "2"
    table = rows_of(get(world.advisor, "/reports/students.csv", q="tran"))
    assert {r[12] for r in table[1:]} == {"2 of 3 credits awarded"}
    credit = rows_of(get(world.advisor, f"/reports/students/{world.ids['ben']}/credit.csv"))
    assert credit[1][4:] == ["2", "Credit awarded"]
    amara = rows_of(get(world.advisor, "/reports/students.csv", q="okafor"))
    assert amara[1][12] == "1% of 135 h"  # 2 confirmed hours of 3 credits x 45 h
