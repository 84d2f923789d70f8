"""A person may have only so many imports and exports in progress; another person is not
affected, and a finished job frees its place."""

from __future__ import annotations

import re

from internships.services import jobs as job_svc

from .test_sis_import import people, sis_csv, upload


def test_a_third_import_of_one_person_is_refused_and_others_are_not(app, school, monkeypatch):
    folks = people(school)
    other = school.person("advisor")
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 3)
    monkeypatch.setitem(app.config, "JOBS_PER_USER", 2)
    text = sis_csv(app, folks)
    advisor = folks["advisor"]
    # JOB_RUNNER is "off" in tests: queued jobs stay in progress until run below
    first = upload(advisor, "/profile/import", text)
    second = upload(advisor, "/profile/import", text)
    assert first.status_code == 303 and second.status_code == 303
    third = upload(advisor, "/profile/import", text)
    assert third.status_code == 429
    page = third.get_data(as_text=True)
    assert "You already have 2 imports or exports in progress" in page
    assert "Wait until one of them has finished" in page
    # another advisor of the same school still may
    assert upload(other, "/profile/import", text).status_code == 303
    # a finished job gives its place back
    job_id = int(re.search(r"/import/jobs/(\d+)", first.headers["Location"]).group(1))
    with app.app_context():
        assert job_svc.run_job(job_id) is not None
    assert upload(advisor, "/profile/import", text).status_code == 303
