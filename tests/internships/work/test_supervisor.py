"""The public supervisor pages, reached by the signed links the tool emails: selecting
applicants (audited disclosure of what students consented to share), confirming hours,
evaluating; single use, expiry with a page that says whom to ask, the old ``/s/`` addresses,
rate limiting, the development outbox (the sandbox's)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from internships.work.models import (
    Application,
    Engagement,
    HourLog,
    SupervisorEvaluation,
    SupervisorLink,
)
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import csrf_token

from .helpers import (
    accept_via_advisor,
    engaged,
    last_link,
    public_client,
    submit_application,
    the_application,
)


def test_employer_selects_through_a_signed_link_once(app, world, seed_listing):
    second_listing = seed_listing(world["school"].tenant_id, title="Other", employer="Other Co")
    submit_application(world["student"], world["listing"])
    submit_application(world["other"], world["listing"])
    withdrawn = the_application(app, world["other"].sub)
    other = world["other"]
    other.client.post(
        f"/work/applications/{withdrawn.id}/withdraw",
        data={
            "lid": other.lid,
            "csrf_token": csrf_token(
                other.client.get(f"/work/applications/{withdrawn.id}/withdraw?lid={other.lid}")
            ),
        },
    )
    advisor = world["advisor"]
    page = advisor.client.get(f"/work/listings/{world['listing']}/applicants?lid={advisor.lid}")
    resp = advisor.client.post(
        f"/work/listings/{world['listing']}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": "",
        },
    )
    assert resp.status_code == 303
    path = last_link(app, "sam@acme.example", "select")
    browser = public_client(app)
    page = browser.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "I have run two survey projects" in text
    assert f"Person {world['student'].sub}" in text
    assert f"Person {other.sub}" not in text  # withdrawn: no longer shared
    application = the_application(app, world["student"].sub)
    resume = browser.get(f"{path}/resume/{application.id}")
    assert resume.status_code == 200 and resume.data.startswith(b"%PDF-")
    assert browser.get(f"{path}/resume/{withdrawn.id}").status_code == 404
    elsewhere = world["school"].person("student")
    submit_application(elsewhere, second_listing)
    theirs = the_application(app, elsewhere.sub)
    assert browser.get(f"{path}/resume/{theirs.id}").status_code == 404  # another listing's
    with app.app_context():
        disclosures = db.session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action == "application.disclose",
                AuditEntry.tenant_id == world["school"].tenant_id,
            )
        ).all()
    assert {d["what"] for d in disclosures} == {"view", "resume"}
    resp = browser.post(
        path, data={"csrf_token": csrf_token(page), f"decision-{application.id}": "shortlist"}
    )
    assert resp.status_code == 200 and "1 decision recorded" in resp.get_data(as_text=True)
    assert the_application(app, world["student"].sub).status == "shortlisted"
    replay = browser.post(
        path, data={"csrf_token": csrf_token(page), f"decision-{application.id}": "accept"}
    )
    assert replay.status_code == 410
    assert "already been used" in replay.get_data(as_text=True)
    assert "careers@example.edu" in replay.get_data(as_text=True)
    assert the_application(app, world["student"].sub).status == "shortlisted"


def test_supervisor_confirms_and_queries_hours_once(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    today = dt.date.today()
    for day, desc in ((today, "Survey design"), (today - dt.timedelta(days=1), "Kick-off")):
        student.client.post(
            f"{url}",
            data={
                "form": "hours",
                "lid": student.lid,
                "csrf_token": token,
                "work_date": day.isoformat(),
                "hours": "2",
                "description": desc,
            },
        )
    resp = student.client.post(
        f"{url}",
        data={
            "form": "supervisor_link",
            "lid": student.lid,
            "csrf_token": token,
            "purpose": "confirm_hours",
        },
    )
    assert resp.status_code == 303
    path = last_link(app, "sam@acme.example", "hours")
    with app.app_context():
        ids = sorted(
            db.session.scalars(select(HourLog.id).where(HourLog.engagement_id == engagement_id))
        )
    browser = public_client(app)
    page = browser.get(path)
    assert "Survey design" in page.get_data(as_text=True)
    bad = browser.post(path, data={"csrf_token": csrf_token(page), f"decision-{ids[0]}": "query"})
    assert bad.status_code == 422 and "Nothing was saved" in bad.get_data(as_text=True)
    done = browser.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            f"decision-{ids[0]}": "confirm",
            f"decision-{ids[1]}": "query",
            f"note-{ids[1]}": "The kick-off was one hour",
        },
    )
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    with app.app_context():
        statuses = [db.session.get(HourLog, i).status for i in ids]
    assert statuses == ["confirmed", "queried"]
    assert browser.get(path).status_code == 410
    home = student.client.get(f"/work/applications?lid={student.lid}")
    assert home.status_code == 200


def test_submitting_sends_the_evaluation_link_and_the_supervisor_rates(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    student.client.post(f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": token})
    resp = student.client.post(
        f"{url}",
        data={"form": "status", "lid": student.lid, "csrf_token": token, "action": "submit"},
    )
    assert resp.status_code == 303
    path = last_link(app, "sam@acme.example", "evaluate")
    browser = public_client(app)
    page = browser.get(path)
    text = page.get_data(as_text=True)
    assert "<legend>Teamwork</legend>" in text and "Advanced Application" in text
    missing = browser.post(
        path, data={"csrf_token": csrf_token(page), "supervisor_name": "Sam", "rating-0": "3"}
    )
    # the agreement lists competencies in the framework's order: Communication, then Teamwork
    assert missing.status_code == 422 and "Teamwork" in missing.get_data(as_text=True)
    done = browser.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            "supervisor_name": "Sam Supervisor",
            "rating-0": "3",
            "comment-0": "Clear weekly updates",
            "rating-1": "na",
            "comments": "A pleasure",
        },
    )
    assert done.status_code == 200
    with app.app_context():
        evaluation = db.session.scalar(
            select(SupervisorEvaluation).where(SupervisorEvaluation.engagement_id == engagement_id)
        )
        assert [(r.competency, r.level) for r in evaluation.ratings] == [
            ("Communication", 3),
            ("Teamwork", None),
        ]
    assert browser.post(path, data={"csrf_token": csrf_token(page)}).status_code == 410
    page = student.client.get(f"{url}?lid={student.lid}").get_data(as_text=True)
    assert "Early Application" in page and "Not applicable" in page


def test_an_expired_link_says_so_and_whom_to_ask(app, world):
    engagement_id = engaged(app, world)
    with app.app_context():
        from internships.supervisor.links import issue_link

        token = issue_link(Actor(world["school"].tenant_id, "test"), "evaluate", engagement_id, "")
        db.session.scalar(
            select(SupervisorLink).where(
                SupervisorLink.tenant_id == world["school"].tenant_id,
                SupervisorLink.purpose == "evaluate",
                SupervisorLink.subject_id == engagement_id,
            )
        ).expires_at = dt.datetime(2020, 1, 1)
        db.session.commit()
    resp = public_client(app).get(f"/supervisor/evaluate/{token}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 410
    assert 'data-reason="expired"' in text and "careers@example.edu" in text
    bogus = public_client(app).get("/supervisor/evaluate/not-a-token")
    assert bogus.status_code == 404 and 'data-reason="invalid"' in bogus.get_data(as_text=True)
    wrong_purpose = public_client(app).get(f"/supervisor/hours/{token}")
    assert wrong_purpose.status_code == 404


def test_links_emailed_with_the_old_address_reach_the_same_page(app, world):
    """Links emailed before the area was named /supervisor point at /s/...: a permanent
    redirect (308, so the form's POST stays a POST) to the same page, query string kept."""
    engagement_id = engaged(app, world)
    with app.app_context():
        from internships.supervisor.links import issue_link

        token = issue_link(Actor(world["school"].tenant_id, "test"), "evaluate", engagement_id, "")
        db.session.commit()
    browser = public_client(app)
    moved = browser.get(f"/s/evaluate/{token}?from=mail&x=%C3%A9")
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"/supervisor/evaluate/{token}?from=mail&x=%C3%A9"
    posted = browser.post(f"/s/evaluate/{token}", data={"supervisor_name": "Sam"})
    assert posted.status_code == 308
    assert posted.headers["Location"] == f"/supervisor/evaluate/{token}"
    page = browser.get(f"/s/evaluate/{token}", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == f"/supervisor/evaluate/{token}"
    assert 'name="supervisor_name"' in page.get_data(as_text=True)
    selection = browser.get("/s/select/SEL/resume/3")  # deeper paths too
    assert selection.headers["Location"] == "/supervisor/select/SEL/resume/3"


def test_public_pages_are_rate_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPERVISOR_RATE_LIMIT", "3 per minute")
    browser = public_client(app)
    codes = [browser.get("/supervisor/evaluate/not-a-token").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    limited = browser.get("/supervisor/evaluate/not-a-token")
    assert "Wait a minute and try again." in limited.get_data(as_text=True)


def test_the_development_outbox_needs_a_launch_and_lists_its_tenants_emails(
    app, world, make_platform
):
    other = make_platform()  # another institution's mail never shows
    with app.app_context():
        from lti_tool.notify.mail import send_email

        send_email(other.tenant_id, "sup@other.example", "Other school", "Other school's link")
        db.session.commit()
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub)
    accept_via_advisor(world, application.id)
    # Without a launch: refused (the mail holds supervisors' capability links).
    assert public_client(app).get("/sandbox/outbox").status_code == 401
    advisor = world["advisor"]
    page = advisor.client.get(f"/sandbox/outbox?lid={advisor.lid}")
    assert page.status_code == 200
    assert "You were accepted for" in page.get_data(as_text=True)
    assert "Other school" not in page.get_data(as_text=True)
    # A student may not read it.
    student = world["student"]
    assert student.client.get(f"/sandbox/outbox?lid={student.lid}").status_code == 403


def test_consent_is_recorded_before_anything_reaches_an_employer(app, world):
    submit_application(world["student"], world["listing"], consent=None)
    with app.app_context():
        assert (
            db.session.scalar(
                select(Application.id).where(Application.listing_id == world["listing"])
            )
            is None
        )


def test_the_supervisor_sees_the_engagements_days_and_entries_to_check(app, world):
    """The hours page says which days count and marks entries to look at twice: one outside
    the engagement's days (made before hours were refused there) and one logged long after."""
    engagement_id = engaged(app, world)  # accepted 7 days ago, agreement acknowledged today
    student = world["student"]
    today = dt.date.today()
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        for day, text, logged in (
            (today - dt.timedelta(days=30), "Before it began", today),
            (today - dt.timedelta(days=3), "Interviews", today),
        ):
            db.session.add(
                HourLog(
                    tenant_id=engagement.tenant_id,
                    engagement_id=engagement_id,
                    student_id=engagement.student_id,
                    work_date=day,
                    minutes=60,
                    description=text,
                    created_at=dt.datetime.combine(logged, dt.time(12)),
                )
            )
        db.session.commit()
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    resp = student.client.post(
        f"{url}",
        data={
            "form": "supervisor_link",
            "lid": student.lid,
            "csrf_token": token,
            "purpose": "confirm_hours",
        },
    )
    assert resp.status_code == 303
    page = public_client(app).get(last_link(app, "sam@acme.example", "hours"))
    text = page.get_data(as_text=True)
    first = (today - dt.timedelta(days=7)).strftime("%-d %B %Y")
    assert f"Hours count from {first}" in text
    assert "2 entries are marked “Check”" in text
    assert "A day before the engagement&#39;s first day" in text
    assert "Logged 30 days after the day worked." in text
    assert "Worked before the learning agreement was acknowledged" in text  # 3 days ago
    # the instructor's engagement page marks them too; the student's does not
    faculty = world["faculty"]
    shown = faculty.client.get(f"{url}?lid={faculty.lid}").get_data(as_text=True)
    assert "2 entries are marked “Check”" in shown
    assert "Check:" not in student.client.get(f"{url}?lid={student.lid}").get_data(as_text=True)
