"""The attainment pages through real signed launches: a student sees only their own report,
faculty their course's, advisors the program, term and coverage reports, write closing-the-loop
notes and targets (CSRF on), and build exports served only to themselves, as attachments."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from sqlalchemy import select

from accreditation.attainment import export_zip, exports
from accreditation.attainment.models import AttainmentExport, LoopNote
from lti_tool.extensions import db
from tests.helpers import csrf_token, launch_csrf, reason

from .conftest import set_term


def test_student_sees_their_own_competencies_only(school, record):
    a, b = school.person("student"), school.person("student")
    record(school.tenant_id, [(a, "Teamwork", 3, "direct")])
    record(school.tenant_id, [(b, "Leadership", 4, "direct")], rater="Bea Boss")
    page = a.client.get(f"/attainment/me?lid={a.lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Teamwork" in body and "3 · Early Application" in body and "Sam Supervisor" in body
    assert "Leadership</th>" not in body and "Bea Boss" not in body
    resp = a.client.get(f"/attainment/program?lid={a.lid}")
    assert resp.status_code == 403 and reason(resp) == "role"


def test_faculty_see_attainment_of_their_course_only(school, record):
    mine = school.person("student", course="course-1")
    other = school.person("student", course="course-2")
    record(school.tenant_id, [(mine, "Teamwork", 4, "direct"), (mine, "Teamwork", 1, "indirect")])
    record(school.tenant_id, [(other, "Teamwork", 1, "direct"), (other, "Teamwork", 2, "direct")])
    prof = school.person("faculty", course="course-1")
    page = prof.client.get(f"/attainment/course?lid={prof.lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    direct = body.split("Direct measures")[1].split("</table>")[0]
    teamwork = direct.split("Teamwork</th>")[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", teamwork) == ["3", "1", "100.0% (1)", "0", "0", "0", "1"]
    indirect = body.split("Indirect measures")[1].split("Teamwork</th>")[1].split("</tr>")[0]
    assert "0.0% (0)" in indirect
    resp = prof.client.get(f"/attainment/coverage?lid={prof.lid}")
    assert resp.status_code == 403 and reason(resp) == "role"


def test_advisor_reads_program_trend_and_coverage(app, school, record):
    student = school.person("student", course="course-1")
    advisor = school.person("advisor")  # a launch updates its course's term: launch first
    with app.app_context():
        course_id = student.ctx().course_id
    set_term(app, course_id, "Spring 2026", "2026-01-10")
    record(school.tenant_id, [(student, "Teamwork", 3, "direct")])
    page = advisor.client.get(f"/attainment/program?lid={advisor.lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "100.0% (1)" in body and "Spring 2026" in body
    filtered = advisor.client.get(
        f"/attainment/program?lid={advisor.lid}&term_from=Spring+2026&term_to=Spring+2026"
    )
    assert filtered.status_code == 200 and "100.0% (1)" in filtered.get_data(as_text=True)
    bad = advisor.client.get(f"/attainment/program?lid={advisor.lid}&term_from=Winter+1900")
    assert bad.status_code == 422 and "There is no term named" in bad.get_data(as_text=True)
    trend = advisor.client.get(f"/attainment/trend?lid={advisor.lid}").get_data(as_text=True)
    assert '<th scope="col">Spring 2026</th>' in trend and "100.0% (1)" in trend
    cover = advisor.client.get(f"/attainment/coverage?lid={advisor.lid}")
    assert cover.status_code == 200
    text = cover.get_data(as_text=True)
    assert "No — too little evidence" in text and "Outcomes \u00d7 courses" in text
    by_listing = advisor.client.get(f"/attainment/coverage/listings?lid={advisor.lid}")
    assert "Outcomes \u00d7 listings" in by_listing.get_data(as_text=True)


def test_advisor_writes_a_closing_the_loop_note_with_csrf(app, school):
    advisor = school.person("advisor")
    page = advisor.client.get(f"/attainment/program?lid={advisor.lid}")
    body = page.get_data(as_text=True)
    item_id = re.search(r'<option value="(\d+)">Teamwork</option>', body).group(1)
    data = {
        "lid": advisor.lid,
        "form": "note",
        "item_id": item_id,
        "term": "",
        "body": "Add a teamwork workshop before placements.",
    }
    refused = advisor.client.post("/attainment/program", data=data)
    assert refused.status_code == 400 and reason(refused) == "csrf"
    saved = advisor.client.post(
        "/attainment/program", data={**data, "csrf_token": csrf_token(page)}
    )
    assert saved.status_code == 303
    shown = advisor.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Add a teamwork workshop before placements." in shown
    with app.app_context():
        note = db.session.scalar(select(LoopNote).where(LoopNote.tenant_id == school.tenant_id))
        assert note.author and note.created_at and note.item_id == int(item_id)
    ta = school.person("faculty")
    resp = ta.client.post(
        "/attainment/program",
        data={**data, "lid": ta.lid, "csrf_token": launch_csrf(app, ta.lid)},
    )
    assert resp.status_code == 403 and reason(resp) == "role"


def test_advisor_sets_targets(app, school, record):
    student = school.person("student")
    record(school.tenant_id, [(student, "Teamwork", 2, "direct")])
    advisor = school.person("advisor")
    form = advisor.client.get(f"/attainment/settings?lid={advisor.lid}")
    assert form.status_code == 200
    body = form.get_data(as_text=True)
    framework_id = re.search(r"settings\?framework=(\d+)", body).group(1)
    resp = advisor.client.post(
        f"/attainment/settings?framework={framework_id}",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(form),
            "level": "2",
            "min_evidence": "1",
        },
    )
    assert resp.status_code == 303
    page = advisor.client.get(f"/attainment/program?lid={advisor.lid}").get_data(as_text=True)
    assert "100.0% (1)" in page
    bad = advisor.client.post(
        f"/attainment/settings?framework={framework_id}",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(form),
            "level": "9",
            "min_evidence": "0",
        },
    )
    assert bad.status_code == 422


def _ask_for_export(advisor, **fields):
    form = advisor.client.get(f"/attainment/exports?lid={advisor.lid}")
    assert form.status_code == 200
    framework_id = re.search(
        r'<option selected value="(\d+)">NACE', form.get_data(as_text=True)
    ).group(1)
    data = {
        "lid": advisor.lid,
        "csrf_token": csrf_token(form),
        "framework_id": framework_id,
        "program": "",
        "term_from": "",
        "term_to": "",
        "sample_per_stratum": "1",
        "seed": "fixed-seed",
        **fields,
    }
    resp = advisor.client.post("/attainment/exports", data=data)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    return resp.headers["Location"]


def test_export_is_built_by_a_job_and_served_only_to_its_advisor(app, school, record):
    a, b = school.person("student"), school.person("student")
    record(
        school.tenant_id,
        [
            (a, "Teamwork", 3, "direct"),
            (b, "Teamwork", 1, "direct"),
            (a, "Teamwork", 2, "indirect"),
        ],
        rater="=cmd|' /C calc'!A0",
    )
    advisor = school.person("advisor")
    location = _ask_for_export(advisor, pseudonymize="y")
    page = advisor.client.get(location).get_data(as_text=True)
    assert 'aria-live="polite"' in page and "js/task-progress.js" in page
    progress_url = re.search(r'data-progress-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert advisor.client.get(progress_url).get_json()["status"] == "queued"
    with app.app_context():
        assert [job.status for job in exports.run_queued()] == ["done"]
    state = advisor.client.get(progress_url).get_json()
    assert state["finished"] and state["percent"] == 100 and state["total"] == 3
    # the live region's status line comes from the server, the same on the page and in the JSON
    assert state["message"].endswith(": 3 of 3 evidence rows (100%).")
    done = advisor.client.get(location).get_data(as_text=True)
    link = re.search(r'href="([^"]+/download[^"]*)"', done).group(1).replace("&amp;", "&")
    download = advisor.client.get(link)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert set(archive.namelist()) >= {
        "evidence.csv",
        "attainment.csv",
        "attainment_by_term.csv",
        "coverage.csv",
        "closing_the_loop.csv",
        "sample.csv",
        "summary.pdf",
        "README.txt",
    }
    # every CSV starts with UTF-8's byte order mark, so Excel on Windows reads it as UTF-8
    assert all(
        archive.read(n).startswith(b"\xef\xbb\xbf") for n in archive.namelist() if ".csv" in n
    )
    evidence = list(csv.DictReader(io.StringIO(archive.read("evidence.csv").decode("utf-8-sig"))))
    assert len(evidence) == 3
    assert {row["rater"] for row in evidence} == {"'=cmd|' /C calc'!A0"}
    assert all(row["student"].startswith("S-") and not row["student_name"] for row in evidence)
    with app.app_context():
        a_id = a.ctx().user_id
        secret = app.config["SECRET_KEY"]
    assert export_zip.pseudonym(secret, school.tenant_id, a_id) in {r["student"] for r in evidence}
    sample = list(csv.DictReader(io.StringIO(archive.read("sample.csv").decode("utf-8-sig"))))
    assert len(sample) == 2  # one per stratum: Teamwork direct, Teamwork indirect
    assert archive.read("summary.pdf").startswith(b"%PDF")
    attainment = archive.read("attainment.csv").decode("utf-8-sig")
    assert "Teamwork,direct,3,2,1,50.0,1,0,1,0" in attainment
    other = school.person("advisor")
    refused = other.client.get(link.replace(advisor.lid, other.lid))
    assert refused.status_code == 403 and reason(refused) == "not-owner"
    assert other.client.get(location.replace(advisor.lid, other.lid)).status_code == 403


def test_the_same_seed_draws_the_same_sample(app, school, record):
    students = [school.person("student") for _ in range(6)]
    record(school.tenant_id, [(s, "Teamwork", 1 + n % 4, "direct") for n, s in enumerate(students)])
    advisor = school.person("advisor")
    samples = []
    for _ in range(2):
        _ask_for_export(advisor, sample_per_stratum="3")
        with app.app_context():
            job = exports.run_queued()[0]
            path = exports.export_dir() / job.file_name
            samples.append(zipfile.ZipFile(path).read("sample.csv"))
    assert samples[0] == samples[1] and samples[0].count(b"\n") == 4
    with app.app_context():
        jobs = db.session.scalars(
            select(AttainmentExport).where(AttainmentExport.tenant_id == school.tenant_id)
        ).all()
        assert {j.seed for j in jobs} == {"fixed-seed"}


def test_the_exports_command_builds_what_is_queued(app, school, record):
    student = school.person("student")
    record(school.tenant_id, [(student, "Teamwork", 3, "direct")])
    advisor = school.person("advisor")
    location = _ask_for_export(advisor)
    result = app.test_cli_runner().invoke(args=["attainment", "exports"])
    assert result.exit_code == 0 and "Built 1 export(s)." in result.output
    again = app.test_cli_runner().invoke(args=["attainment", "exports"])
    assert "Built 0 export(s)." in again.output  # a finished export is never rebuilt
    assert "Download the export" in advisor.client.get(location).get_data(as_text=True)


def test_another_institutions_advisor_finds_no_export(app, school, record, make_school):
    advisor = school.person("advisor")
    location = _ask_for_export(advisor)
    assert advisor.client.get(location).status_code == 200  # control
    elsewhere = make_school().person("advisor")
    resp = elsewhere.client.get(location.replace(advisor.lid, elsewhere.lid))
    assert resp.status_code == 404
    assert "does not exist at your institution" in resp.get_data(as_text=True)
