"""The instructor's home over HTTP (issue 18): credit at a glance — ready for review, still
working, awarded, in the gradebook, refused by the LMS — each figure a link to its list, then
the first students of the review queue with a Review button each, all before the roster; and
the course page's state filter that the figures link to."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from credit.services import awards as award_svc
from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage

from .conftest import give_work
from .test_pages import get, post, token
from .test_services import LINEITEM, award_input


def _cards(page: str) -> dict[str, tuple[str, str]]:
    """The stat cards: label → (number, link)."""
    found = re.findall(
        r'<li class="stat-card[^"]*"><a href="([^"]+)"><span class="stat-number">(\d+)</span> '
        r'<span class="stat-label">([^<]+)</span>',
        page,
    )
    return {label: (number, unescape(href)) for href, number, label in found}


def test_the_home_shows_credit_at_a_glance_and_the_queue_before_the_roster(app, school):
    faculty = school.person("faculty")
    ready, working, awarded = (school.person("student") for _ in range(3))
    with app.app_context():
        give_work(ready.ctx(), hours=50)
        give_work(working.ctx(), hours=5, status="active")
        give_work(awarded.ctx(), hours=50)
        db.session.commit()
        award_svc.award_credit(faculty.ctx(), awarded.user_id, award_input(), lineitem_url=None)
        db.session.commit()
        ready_id = ready.user_id

    page = get(faculty, "/home/faculty").get_data(as_text=True)
    cards = _cards(page)
    assert cards["ready for your review"][0] == "1"
    assert cards["ready for your review"][1].startswith("/credit/queue?")
    assert cards["still working (in progress or changes requested)"][0] == "1"
    assert "state=working" in cards["still working (in progress or changes requested)"][1]
    assert cards["credit awarded"][0] == "1"
    assert "state=awarded" in cards["credit awarded"][1]
    assert cards["grades in the LMS gradebook"][0] == "0"
    assert cards["grades the LMS refused"] == ("0", cards["grades the LMS refused"][1])
    assert cards["grades the LMS refused"][1].endswith("#sync-heading")
    # the queue's first students, each with a Review button to their review page
    review = re.search(
        r'<a class="button" href="([^"]+)">Review<span class="visually-hidden">', page
    )
    assert review and unescape(review.group(1)).startswith(f"/credit/students/{ready_id}?")
    # figures, then the queue, then the roster
    glance = page.index('aria-label="Credit at a glance"')
    queue = page.index('id="queue-preview-heading"')
    roster = page.index('id="roster-heading"')
    assert glance < queue < roster

    # the figures' links open the course page filtered to those students
    working_page = faculty.client.get(cards["still working (in progress or changes requested)"][1])
    text = working_page.get_data(as_text=True)
    assert working_page.status_code == 200
    assert "Showing 1 of 3 students" in text
    assert "<caption>1 student (still working" in text
    everyone = get(faculty, "/credit/course").get_data(as_text=True)
    assert "<caption>3 students</caption>" in everyone
    assert "Showing" not in everyone


def test_the_home_with_nothing_to_review_says_what_comes_next(app, school):
    faculty = school.person("faculty")
    page = get(faculty, "/home/faculty").get_data(as_text=True)
    assert "Nobody waits for your review" in page
    assert _cards(page)["ready for your review"][0] == "0"


def test_the_course_page_draws_where_students_stand_with_its_figures(app, school):
    faculty = school.person("faculty")
    student = school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
    page = get(faculty, "/credit/course").get_data(as_text=True)
    chart = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)">', page)
    assert chart and "Ready for review 1" in chart.group(1)
    table = page[page.index('<details class="chart-data">') :]
    assert re.search(r'<th scope="row">Ready for review</th><td>1</td>', table)
    assert re.search(r'<th scope="row">Credit awarded</th><td>0</td>', table)


def test_the_home_counts_states_as_the_course_page_does(app, school):
    """``course_states`` (the home's figures and queue, the checklist built only where the
    state depends on it) agrees with ``course_progress`` for every state a student can be in."""
    from collections import Counter

    from credit.services import progress as progress_svc
    from internships.work.services import engagements as eng_svc

    faculty = school.person("faculty")
    people = [school.person("student") for _ in range(9)]
    ready, ready2, working, awarded, denied, changes, resubmitted, partial, _none = people
    with app.app_context():
        ctx = faculty.ctx()
        for student in (ready, ready2, awarded, denied):
            give_work(student.ctx(), hours=50)
        changes_id = give_work(changes.ctx(), hours=50).id
        give_work(working.ctx(), hours=5, status="active")
        give_work(partial.ctx(), hours=50, reflection=False)  # hours, checklist not done
        engagement_id = give_work(resubmitted.ctx(), hours=50).id
        db.session.commit()
        award_svc.award_credit(ctx, awarded.user_id, award_input(), lineitem_url=None)
        award_svc.deny_credit(ctx, denied.user_id, "Not academic in scope.")
        for student, eid in ((changes, changes_id), (resubmitted, engagement_id)):
            what = [f"deliverable:{eid}"]
            award_svc.request_changes(ctx, student.user_id, "Add the final report.", what)
        db.session.commit()
        sctx = resubmitted.ctx()
        eng_svc.add_deliverable(sctx, engagement_id, "Report", url="https://example.org/r")
        award_svc.resubmit(sctx, sctx.course_id, "Added it.")
        db.session.commit()

        rows = progress_svc.course_progress(ctx.tenant_id, ctx.course_id)
        counts, queue = progress_svc.course_states(ctx.tenant_id, ctx.course_id, 2)
        assert counts == Counter(p.state for p in rows)
        assert set(counts) >= {
            "ready", "resubmitted", "in_progress", "awarded", "denied", "changes_requested",
            "not_started",
        }  # fmt: skip
        expected = [p for p in rows if p.state in ("ready", "resubmitted")]
        assert len(expected) == 3

        def shown(p):
            return (p.student_id, p.name, p.state, p.counted_minutes, p.credits_eligible)

        assert [shown(p) for p in queue] == [shown(p) for p in expected[:2]]
        assert [p.checklist for p in queue] == [p.checklist for p in expected[:2]]


def test_checklist_complete_agrees_with_the_checklist_under_every_rule(app, school):
    """``checklist_complete`` (the home's states) says what ``checklist_for``'s items say, for
    work that misses each artefact, under policies that demand each of them or not."""
    import dataclasses
    import datetime as dt

    from credit.services import progress as progress_svc
    from credit.services.standing import DefaultRules, checklist_for

    faculty = school.person("faculty")
    with app.app_context():
        for kwargs in (
            {},
            {"agreement": False},
            {"reflection": False},
            {"evaluation": False},
            {"level": 1},
            {"level": None},
            {"status": "active"},
            {"status": "active", "agreement": False},
            {"hours": 10},
            {"start": dt.date(2026, 12, 1)},
        ):
            give_work(school.person("student").ctx(), hours=kwargs.pop("hours", 50), **kwargs)
        db.session.commit()
        ctx = faculty.ctx()
        rows = progress_svc.course_progress(ctx.tenant_id, ctx.course_id)
        base = DefaultRules(45, 3, True, True, True, True, "pass_fail", "faculty")
        variants = [
            base,
            dataclasses.replace(base, require_agreement=False),
            dataclasses.replace(base, require_evaluation=False, require_reflection=False),
            dataclasses.replace(base, require_evaluation=False, min_rating=3),
            dataclasses.replace(base, min_rating=2, allow_stacking=False),
            dataclasses.replace(base, hours_per_credit=5, max_credits=0),
        ]
        seen = set()
        for rules in variants:
            for p in rows:
                complete = all(item.done for item in checklist_for(p, rules))
                assert progress_svc.checklist_complete(p, rules) == complete, (rules, p)
                seen.add(complete)
        assert seen == {True, False}


def _message_of(award_id: int) -> OutboxMessage:
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.source == f"credit_award:{award_id}")
        .order_by(OutboxMessage.id.desc())
    ).first()


def test_a_corrected_grade_counts_once_and_its_older_refusal_is_moot(app, school):
    """The figures count each student's current grade by its newest message (issue 16: the
    home counted every message the course ever sent, 150 ms of PostgreSQL after a soak's
    corrections). A correction replaces the refused grade it corrects: it leaves the refused
    figures and lists, and its retry is refused, so an older score never reaches the column."""
    faculty, student = school.person("faculty"), school.person("student")
    admin = school.person("admin", course=None)
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
        first = award_svc.award_credit(
            faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM
        )
        db.session.commit()
        _message_of(first.id).status = jobs.SENT
        refused = award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(score=60),
            lineitem_url=LINEITEM,
            supersedes_id=first.id,
        )
        db.session.commit()
        message = _message_of(refused.id)
        message.status, message.last_error = jobs.FAILED, "User is not a student in this course"
        db.session.commit()
        refused_id, refused_message_id = refused.id, message.id

    cards = _cards(get(faculty, "/home/faculty").get_data(as_text=True))
    assert (cards["grades in the LMS gradebook"][0], cards["grades the LMS refused"][0]) == (
        "0",
        "1",
    )
    course_page = get(faculty, "/credit/course").get_data(as_text=True)
    assert "Each student's current grade: 0 in the gradebook · 0 queued · 1 failed" in (course_page)
    assert "User is not a student in this course" in course_page
    admin_token = token(admin, "/credit/failures")  # the page lists the refused grade

    with app.app_context():
        fixed = award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(score=70),
            lineitem_url=LINEITEM,
            supersedes_id=refused_id,
        )
        db.session.commit()
        # the correction's score replaced the refused one in the outbox (same column, student)
        assert db.session.get(OutboxMessage, refused_message_id).status == jobs.SUPERSEDED
        _message_of(fixed.id).status = jobs.SENT
        db.session.commit()

    cards = _cards(get(faculty, "/home/faculty").get_data(as_text=True))
    assert (cards["grades in the LMS gradebook"][0], cards["grades the LMS refused"][0]) == (
        "1",
        "0",
    )
    assert cards["credit awarded"][0] == "1"
    course_page = get(faculty, "/credit/course").get_data(as_text=True)
    assert "current grade: 1 in the gradebook · 0 queued · 0 failed" in course_page
    assert "User is not a student in this course" not in course_page
    assert "The LMS has refused no grade of this course." in course_page
    assert "User is not a student" not in get(admin, "/credit/failures").get_data(as_text=True)

    # Refused in a column the correction does not go to: still not sent again.
    with app.app_context():
        db.session.get(OutboxMessage, refused_message_id).status = jobs.FAILED
        db.session.commit()
    resp = post(admin, f"/credit/sync/{refused_message_id}/retry", {}, csrf=admin_token)
    assert resp.status_code == 303
    assert "A newer grade has replaced this one" in (
        admin.client.get(resp.headers["Location"]).get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(OutboxMessage, refused_message_id).status == jobs.FAILED
