"""Evidence from supervisor ratings: each rating once, against the version of the competency
that was current when the supervisor rated; renaming later never rewrites it; students see
their own evidence."""

from __future__ import annotations

from sqlalchemy import func, select

from accreditation.evidence import services
from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from internships.work.services.evaluations import submit_evaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept

SUPERVISOR = "Sam Supervisor (employer link)"


def rated_engagement(app, school, seed_listing, student, ratings):
    listing_id = seed_listing(
        school.tenant_id, competencies=list(ratings), title="Survey analysis sprint"
    )
    with app.app_context():
        engagement = accept(student.ctx(), listing_id)
        submit_evaluation(
            Actor(school.tenant_id, SUPERVISOR), engagement.id, "Sam Supervisor", ratings, ""
        )
        db.session.commit()
        return engagement.id


def evidence_count(app, tenant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.tenant_id == tenant_id)
        )


def test_ratings_become_direct_evidence_once(app, school, seed_listing):
    student = school.person("student")
    engagement_id = rated_engagement(
        app,
        school,
        seed_listing,
        student,
        {"Teamwork": (3, "Ran the stand-ups."), "Equity & Inclusion": (None, "")},
    )
    with app.app_context():
        assert services.sync_supervisor_evidence(school.tenant_id) == 2
        assert services.sync_supervisor_evidence(school.tenant_id) == 0  # never duplicated
        db.session.commit()
        rows = db.session.scalars(
            select(Evidence).where(Evidence.tenant_id == school.tenant_id).order_by(Evidence.id)
        ).all()
        assert [(r.item_version.name, r.level) for r in rows] == [
            ("Teamwork", 3),
            ("Equity & Inclusion", None),
        ]
        first = rows[0]
        assert (first.source, first.method, first.rater) == (
            "direct",
            "supervisor_rating",
            "Sam Supervisor",
        )
        assert first.engagement_id == engagement_id and first.comment == "Ran the stand-ups."


def test_renaming_keeps_old_evidence_and_new_ratings_use_the_new_version(
    app,
    school,
    seed_listing,
):
    student = school.person("student")
    rated_engagement(app, school, seed_listing, student, {"Equity & Inclusion": (2, "")})
    with app.app_context():
        services.sync_supervisor_evidence(school.tenant_id)
        fw = fw_services.ensure_builtin_frameworks(school.tenant_id)
        ei = next(i for i in fw.items if i.current.name == "Equity & Inclusion")
        fw_services.revise_item(
            Actor(school.tenant_id, "tests"),
            ei.id,
            name="Inclusion & Belonging",
            statement=ei.current.statement,
            human_coding="EI",
        )
        db.session.commit()
    # listings still name the competency as it was; the new rating lands on the new version
    rated_engagement(app, school, seed_listing, student, {"Equity & Inclusion": (4, "")})
    with app.app_context():
        assert services.sync_supervisor_evidence(school.tenant_id) == 1
        db.session.commit()
        rows = services.student_evidence(school.tenant_id, student.ctx().user_id)
    assert [(r.outcome, r.level_name) for r in rows] == [
        ("Inclusion & Belonging", "Advanced Application"),
        ("Equity & Inclusion", "Understanding"),
    ]


def test_student_sees_only_their_own_evidence(app, school, seed_listing):
    alice, bob = school.person("student"), school.person("student")
    rated_engagement(app, school, seed_listing, alice, {"Communication": (3, "")})
    rated_engagement(app, school, seed_listing, bob, {"Teamwork": (1, "")})
    page = alice.client.get(f"/evidence/?lid={alice.lid}")
    assert evidence_count(app, school.tenant_id) == 0  # a page only reads
    form = {"lid": alice.lid, "csrf_token": csrf_token(page), "back": "evidence"}
    refreshed = alice.client.post("/evidence/refresh", data=form)
    assert refreshed.status_code == 303 and "/evidence/" in refreshed.location
    page = alice.client.get(refreshed.location)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Recorded 1 new rating." in body
    assert "Communication" in body and "Early Application" in body
    assert "Survey analysis sprint" in body and "Sam Supervisor" in body
    assert "Teamwork" not in body
    assert evidence_count(app, school.tenant_id) == 1  # only Alice's, by her Refresh
    faculty = school.person("faculty")
    resp = faculty.client.get(f"/evidence/?lid={faculty.lid}")
    assert resp.status_code == 403


def test_evidence_sync_command(app, runner, school, seed_listing):
    student = school.person("student")
    rated_engagement(app, school, seed_listing, student, {"Technology": (2, "")})
    with app.app_context():
        from lti_tool.models import Tenant

        name = db.session.get(Tenant, school.tenant_id).name
    resp = runner.invoke(args=["evidence", "sync", "--tenant", name])
    assert resp.exit_code == 0 and "Recorded 1 new evidence rows" in resp.output
    resp = runner.invoke(args=["evidence", "sync", "--tenant", name])
    assert "Recorded 0 new" in resp.output


def test_two_requests_recording_at_once_record_each_rating_once(app, school, seed_listing):
    import threading

    student = school.person("student")
    rated_engagement(
        app, school, seed_listing, student, {"Teamwork": (2, ""), "Technology": (3, "")}
    )
    barrier = threading.Barrier(2)
    results: list[object] = []

    def sync() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(services.sync_supervisor_evidence(school.tenant_id))
                db.session.commit()
            except Exception as exc:
                results.append(exc)

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [0, 2], results
    assert all(isinstance(r, int) for r in results), results
    assert evidence_count(app, school.tenant_id) == 2
