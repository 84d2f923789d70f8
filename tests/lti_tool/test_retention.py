"""Retention per tenant, enforced by ``privacy purge`` (hourly from the job runner and
Celery beat): uploaded files N days after the engagement ends (default 365), expired sessions
and login states, audit entries after the configured period. What was removed is logged and
audited as counts, never personal data."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import func, select, update

from internships.work.models import Application, Deliverable, Engagement
from internships.work.services import engagements as eng
from internships.work.services.applications import decide_application
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Tenant, User, utcnow
from lti_tool.privacy import retention
from tests.internships.work.helpers import ADVISOR_ACTOR, accept, apply

NOTES = b"Final report, plain text.\n"


def _ended(engagement_id: int, days_ago: int) -> None:
    day = dt.date.today() - dt.timedelta(days=days_ago)
    db.session.execute(
        update(Engagement)
        .where(Engagement.id == engagement_id)
        .values(end_date=day, status="completed", updated_at=dt.datetime.combine(day, dt.time()))
    )


def _files_of(app, tenant_id: int) -> dict[str, list]:
    with app.app_context():
        resumes = db.session.execute(
            select(Application.id, Application.resume_path)
            .where(Application.tenant_id == tenant_id)
            .order_by(Application.id)
        ).all()
        deliverables = db.session.execute(
            select(Deliverable.engagement_id, Deliverable.file_path)
            .where(Deliverable.tenant_id == tenant_id)
            .order_by(Deliverable.id)
        ).all()
        return {"resumes": list(resumes), "deliverables": list(deliverables)}


def _file_exists(app, name: str | None) -> bool:
    from internships.work.services.uploads import uploads_dir

    with app.test_request_context():
        return bool(name) and (uploads_dir() / name).is_file()


@pytest.fixture
def history(app, make_school, seed_listing):
    """One school: an engagement that ended 400 days ago, one that ended 10 days ago, an
    application declined 400 days ago and a fresh one; each with its files."""
    school = make_school()
    listings = [seed_listing(school.tenant_id, title=f"Sprint {n}") for n in range(4)]
    people = [school.person("student") for _ in range(4)]
    with app.app_context():
        old = accept(people[0].ctx(), listings[0])
        recent = accept(people[1].ctx(), listings[1])
        for engagement, ctx in ((old, people[0].ctx()), (recent, people[1].ctx())):
            eng.acknowledge_agreement(ctx, engagement.id)
            eng.add_deliverable(ctx, engagement.id, "Report", data=NOTES, filename="r.txt")
        declined = apply(people[2].ctx(), listings[2])
        decide_application(
            Actor(school.tenant_id, ADVISOR_ACTOR), declined.id, "decline", by_advisor=True
        )
        fresh = apply(people[3].ctx(), listings[3])
        db.session.flush()
        _ended(old.id, 400)
        _ended(recent.id, 10)
        db.session.execute(
            update(Application)
            .where(Application.id == declined.id)
            .values(updated_at=utcnow() - dt.timedelta(days=400))
        )
        db.session.commit()
        tenant = db.session.get(Tenant, school.tenant_id).name
        names = {
            u.sub: (u.name, u.email)
            for u in db.session.scalars(select(User).where(User.tenant_id == school.tenant_id))
        }
        return {
            "school": school,
            "tenant": tenant,
            "old": old.id,
            "recent": recent.id,
            "declined": declined.id,
            "fresh": fresh.id,
            "old_application": old.application_id,
            "recent_application": recent.application_id,
            "names": names,
        }


def test_files_are_deleted_a_year_after_the_engagement_ends(app, runner, history, caplog):
    tenant_id = history["school"].tenant_id
    before = _files_of(app, tenant_id)
    assert all(_file_exists(app, name) for _, name in before["resumes"] + before["deliverables"])
    with caplog.at_level(logging.INFO, logger="career_credit.retention"):
        result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    removed = re.search(r"(\d+) résumé files, (\d+) deliverable files", result.output)
    assert removed and int(removed.group(1)) >= 2 and int(removed.group(2)) >= 1

    after = dict(_files_of(app, tenant_id)["resumes"])
    deliverables = dict(_files_of(app, tenant_id)["deliverables"])
    gone = [history["old_application"], history["declined"]]
    kept = [history["recent_application"], history["fresh"]]
    assert [after[i] for i in gone] == [None, None]
    assert all(after[i] and _file_exists(app, after[i]) for i in kept)
    assert deliverables[history["old"]] is None
    assert _file_exists(app, deliverables[history["recent"]])
    for _, name in before["resumes"] + before["deliverables"]:
        if name not in after.values() and name not in deliverables.values():
            assert not _file_exists(app, name)  # the file itself is gone, not just the link
    with app.app_context():  # the rows stay: only the files go
        assert (
            db.session.scalar(
                select(func.count()).select_from(Engagement).where(Engagement.id == history["old"])
            )
            == 1
        )
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id, AuditEntry.action == "retention.purge")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.actor == "retention"
        assert entry.detail["removed"]["resume_files"] == 2
        assert entry.detail["removed"]["deliverable_files"] == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retention purge removed" in logged and "resume_files" in logged
    for name, email in history["names"].values():
        assert name not in logged and email not in logged

    again = runner.invoke(args=["privacy", "purge"])
    assert "0 résumé files, 0 deliverable files" in again.output  # nothing left to do


def test_a_tenant_sets_its_own_period(app, runner, history, make_school):
    other = make_school()
    show = runner.invoke(args=["privacy", "retention", "--tenant", history["tenant"]])
    assert "kept 365 days after the engagement ends" in show.output
    changed = runner.invoke(
        args=["privacy", "retention", "--tenant", history["tenant"], "--files-days", "5"]
    )
    assert changed.exit_code == 0 and "kept 5 days" in changed.output
    with app.app_context():
        assert retention.policy_for(db.session.get(Tenant, other.tenant_id)).files_days == 365
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "retention.policy")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.detail["new"]["files_days"] == 5
    runner.invoke(args=["privacy", "purge"])
    deliverables = dict(_files_of(app, history["school"].tenant_id)["deliverables"])
    assert deliverables[history["recent"]] is None  # ended 10 days ago: past 5 days
    bad = runner.invoke(
        args=["privacy", "retention", "--tenant", history["tenant"], "--files-days", "0"]
    )
    assert bad.exit_code != 0
    missing = runner.invoke(args=["privacy", "retention", "--tenant", "Nowhere U"])
    assert missing.exit_code != 0 and "no tenant named 'Nowhere U'" in missing.output


def test_audit_entries_are_kept_for_the_configured_period(app, runner, make_school):
    school, elsewhere = make_school(), make_school()
    now = utcnow()
    with app.app_context():
        for tenant_id in (school.tenant_id, elsewhere.tenant_id):
            for days, action in ((40, "test.old"), (10, "test.recent")):
                entry = AuditEntry(
                    tenant_id=tenant_id, actor="tests", action=action, detail={}, created_at=now
                )
                entry.created_at = now - dt.timedelta(days=days)
                db.session.add(entry)
        retention.set_policy(Actor(school.tenant_id, "tests"), None, 30)
        db.session.commit()
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    with app.app_context():

        def actions(tenant_id: int) -> list[str]:
            return list(
                db.session.scalars(
                    select(AuditEntry.action).where(
                        AuditEntry.tenant_id == tenant_id, AuditEntry.action.like("test.%")
                    )
                )
            )

        assert actions(school.tenant_id) == ["test.recent"]
        assert sorted(actions(elsewhere.tenant_id)) == ["test.old", "test.recent"]  # default


def test_the_scheduler_runs_retention_once_per_interval(app, monkeypatch):
    from lti_tool.celery_app import celery

    monkeypatch.setitem(app.config, "MAINTENANCE_INTERVAL_S", 3600)
    monkeypatch.delitem(app.extensions, "retention_last_run", raising=False)
    first = retention.run_scheduled(app)
    assert first is not None and "launches" in first
    assert retention.run_scheduled(app) is None  # not again within the hour
    schedule = celery.conf.beat_schedule["retention-purge"]
    assert schedule["task"] == "career_credit.maintenance_purge"
    assert "career_credit.maintenance_purge" in celery.tasks


def test_the_admin_page_sets_the_retention_periods(app, driver, make_school):
    from tests.helpers import csrf_token
    from tests.lti_tool.test_privacy import _admin

    school = make_school()
    client, lid = _admin(driver, school.platform)
    page = client.get(f"/admin/privacy?lid={lid}")
    text = page.get_data(as_text=True)
    assert re.search(r'<input[^>]*name="files_days"[^>]*value="365"', text)
    token = csrf_token(page)
    bad = client.post(
        "/admin/privacy",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "retention",
            "files_days": "0",
            "audit_days": "2555",
        },
    )
    assert bad.status_code == 422 and "Enter between 1 and 36500 days." in bad.get_data(True)
    saved = client.post(
        "/admin/privacy",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "retention",
            "files_days": "90",
            "audit_days": "1000",
        },
    )
    assert saved.status_code == 303
    assert "Retention periods saved" in client.get(saved.headers["Location"]).get_data(True)
    with app.app_context():
        policy = retention.policy_for(db.session.get(Tenant, school.tenant_id))
        assert (policy.files_days, policy.audit_days) == (90, 1000)
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == school.tenant_id, AuditEntry.action == "retention.policy"
            )
        )
        assert "Ada Admin" in entry.actor and entry.detail["new"]["files_days"] == 90
    no_csrf = client.post(
        "/admin/privacy",
        data={"lid": lid, "form": "retention", "files_days": "5", "audit_days": "100"},
    )
    assert no_csrf.status_code == 400
