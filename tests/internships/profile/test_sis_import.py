"""The advisor's SIS import of program, class year and expected graduation: row-by-row report
(created, updated, unchanged, rejected with line and reason), matching by LMS user id or email,
a bad row never blocks the good ones nor leaves half a row; the page, the CLI with progress,
and a long import as a background job whose page shows progress."""

from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import select

from internships.models import ImportJob
from internships.profile.imports import csv_records, import_profiles
from internships.profile.models import StudentProfile
from internships.services import jobs as job_svc
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, User
from tests.helpers import csrf_token


def people(school):
    """Two students (one with an email the platform sends), a teacher and an advisor."""
    amara = school.person("student", sub="sis-amara-" + school.platform.client_id[-6:])
    ben = school.person("student")
    return {
        "amara": amara,
        "ben": ben,
        "faculty": school.person("faculty"),
        "advisor": school.person("advisor"),
    }


def email_of(app, person) -> str:
    with app.app_context():
        return person.ctx().user_email


def sis_csv(app, folks) -> str:
    ben_email = email_of(app, folks["ben"])
    faculty_sub = folks["faculty"].sub
    return (
        "lms_user_id,email,program,class_year,expected_graduation\n"
        f"{folks['amara'].sub},,Marine Biology,JR,2027-05\n"  # row 2: created
        f",{ben_email.upper()},Economics,Second year,\n"  # row 3: created, by email
        "nobody-here,,History,FR,2029-05-01\n"  # row 4: no such student
        f"{faculty_sub},,History,FR,2029-05-01\n"  # row 5: not a student
        f"{folks['amara'].sub},,Marine Biology,Sophomore year,2027-05\n"  # row 6: bad year
        f"{folks['amara'].sub},,,,2027-13-01\n"  # row 7: bad date, nothing written
        ",,Physics,JR,\n"  # row 8: names nobody
    )


def test_service_reports_each_row_and_a_bad_row_writes_nothing(app, school):
    folks = people(school)
    text = sis_csv(app, folks)
    with app.app_context():
        report = import_profiles(Actor(school.tenant_id, "advisor test"), csv_records(text))
        db.session.commit()
        outcomes = [(r.row, r.outcome) for r in report.results]
        assert outcomes == [
            (2, "created"),
            (3, "created"),
            (4, "rejected"),
            (5, "rejected"),
            (6, "rejected"),
            (7, "rejected"),
            (8, "rejected"),
        ]
        reasons = {r.row: r.reason for r in report.results}
        assert "has opened Career Credit yet" in reasons[4]
        assert reasons[5] == "This person is not a student in any course here."
        assert "class_year 'Sophomore year' is not one of" in reasons[6]
        assert "is not a date" in reasons[7]
        assert "names no student" in reasons[8]
        amara = db.session.scalar(
            select(StudentProfile)
            .join(User, User.id == StudentProfile.user_id)
            .where(User.sub == folks["amara"].sub, User.tenant_id == school.tenant_id)
        )
        assert amara is not None
        assert (amara.program, amara.class_year, amara.expected_graduation) == (
            "Marine Biology",
            "Third year",
            dt.date(2027, 5, 1),
        )
        # Again: nothing changes, and an empty cell never wipes a value.
        again = import_profiles(Actor(school.tenant_id, "advisor test"), csv_records(text))
        assert [r.outcome for r in again.results[:2]] == ["unchanged", "unchanged"]
        assert again.summary == "0 created, 0 updated, 2 unchanged, 5 rejected"
        audited = db.session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.tenant_id == school.tenant_id, AuditEntry.action == "profile.import"
            )
        ).all()
        assert len(audited) == 2
        assert all("Marine" not in str(detail) for detail in audited)  # names, not values
        db.session.rollback()


def test_unusable_header_is_refused_as_a_whole():
    import pytest

    from internships.services.imports import ImportFormatError

    with pytest.raises(ImportFormatError, match="lms_user_id or email"):
        csv_records("name,program\nA,B\n")
    with pytest.raises(ImportFormatError, match="names none of"):
        csv_records("email,phone\na@b.c,1\n")


def upload(person, path: str, text: str, name: str = "sis.csv"):
    page = person.client.get(f"{path}?lid={person.lid}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return person.client.post(
        path,
        data={
            "lid": person.lid,
            "csrf_token": csrf_token(page),
            "file": (io.BytesIO(text.encode()), name),
        },
        content_type="multipart/form-data",
    )


def test_advisor_page_imports_and_others_cannot(app, school):
    folks = people(school)
    resp = upload(folks["advisor"], "/profile/import", sis_csv(app, folks))
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "Imported: 2 created, 0 updated, 5 rejected" in text
    assert re.search(r'<th scope="row">5</th><td>Rejected</td>', text)
    bad = upload(folks["advisor"], "/profile/import", "name\nx\n")
    assert bad.status_code == 422 and "lms_user_id or email" in bad.get_data(as_text=True)
    student = folks["amara"]
    assert student.client.get(f"/profile/import?lid={student.lid}").status_code == 403
    faculty = folks["faculty"]
    assert faculty.client.get(f"/profile/import?lid={faculty.lid}").status_code == 403


def test_cli_import_prints_progress(app, runner, school, tmp_path):
    folks = people(school)
    path = tmp_path / "sis.csv"
    path.write_text(sis_csv(app, folks), encoding="utf-8")
    args = ["profile", "import", str(path), "--tenant", str(school.tenant_id)]
    dry = runner.invoke(args=[*args, "--dry-run", "--progress-every", "2"])
    assert dry.exit_code == 0, dry.output
    assert "2/7 rows (28%)" in dry.output and "7/7 rows (100%)" in dry.output
    assert "Dry run, nothing saved: 2 created, 0 updated, 5 rejected." in dry.output
    real = runner.invoke(args=args)
    assert real.exit_code == 0, real.output
    assert "row 4: rejected 'nobody-here'" in real.output
    with app.app_context():
        count = db.session.scalar(
            select(db.func.count(StudentProfile.id)).where(
                StudentProfile.tenant_id == school.tenant_id
            )
        )
        assert count == 2


def test_a_long_import_runs_as_a_job_with_progress(app, school, monkeypatch):
    folks = people(school)
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 3)
    advisor = folks["advisor"]
    resp = upload(advisor, "/profile/import", sis_csv(app, folks))
    assert resp.status_code == 303
    page_url = resp.headers["Location"]
    job_id = int(re.search(r"/import/jobs/(\d+)", page_url).group(1))
    page = advisor.client.get(page_url)
    text = page.get_data(as_text=True)
    assert '<progress id="import-bar" max="7" value="0">' in text
    assert 'aria-live="polite"' in text and "task-progress.js" in text
    progress = advisor.client.get(f"/internships/import/jobs/{job_id}/progress?lid={advisor.lid}")
    assert progress.json["status"] == "queued" and progress.json["total"] == 7
    with app.app_context():
        chunks = []
        original = job_svc.import_records

        def spy(*args, **kwargs):
            chunks.append(len(args[2]))
            return original(*args, **kwargs)

        monkeypatch.setattr(job_svc, "import_records", spy)
        job = job_svc.run_job(job_id, chunk=3)
        assert job is not None and job.status == "done"
        assert chunks == [3, 3, 1]
        assert (job.processed, job.created, job.rejected) == (7, 2, 5)
        assert job.content == ""  # the file is not kept once imported
        assert job_svc.run_job(job_id) is None  # finished: nobody claims it again
    done = advisor.client.get(page_url).get_data(as_text=True)
    assert "Finished: 2 created, 0 updated, 5 rejected" in done
    assert "task-progress.js" not in done
    listing_page = advisor.client.get(f"/profile/import?lid={advisor.lid}").get_data(True)
    assert "Recent background imports" in listing_page
    other = school.person("advisor")  # same tenant: sees it; another tenant would not
    assert other.client.get(f"/internships/import/jobs/{job_id}?lid={other.lid}").status_code == 200
    student = folks["ben"]
    assert (
        student.client.get(f"/internships/import/jobs/{job_id}?lid={student.lid}").status_code
        == 403
    )


def test_a_job_of_another_tenant_is_not_found(app, school, make_school):
    folks = people(school)
    with app.app_context():
        job = job_svc.create_job(
            Actor(school.tenant_id, "advisor"), "profiles", "x.csv", sis_csv(app, folks)
        )
        db.session.commit()
        job_id = job.id
    elsewhere = make_school().person("advisor")
    resp = elsewhere.client.get(f"/internships/import/jobs/{job_id}?lid={elsewhere.lid}")
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "queued"
