"""Deployment ids that a launch records for the first time are shown to the administrator as
new until acknowledged (audited), so an unexpected install is noticed; the registration's
strict mode (new ids wait for approval) is one button away on the same page."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Deployment, Registration
from tests.helpers import csrf_token

from .test_admin import admin_launch, audit_count, pending_deployment


def launch_from(driver, platform, deployment_id: str, sub: str):
    original = platform.deployment_id
    platform.deployment_id = deployment_id
    try:
        return driver(platform).launch(sub=sub, role="student")
    finally:
        platform.deployment_id = original


def deployment(app, deployment_id: str) -> Deployment:
    with app.app_context():
        row = db.session.scalar(select(Deployment).where(Deployment.deployment_id == deployment_id))
        db.session.expunge(row)
        return row


def test_a_deployment_first_seen_by_a_launch_is_listed_as_new_until_acknowledged(
    app, make_platform, driver
):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    # positive control: the deployment the registration announced is not "new"
    assert platform.deployment_id in page
    assert "New deployments to check" not in page and "data-new=" not in page
    assert launch_from(driver, platform, "surprise-install", "stu-new").home.status_code == 200
    new = deployment(app, "surprise-install")
    assert new.first_seen_by_launch and new.status == "active"
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}")
    text = page.get_data(as_text=True)
    assert 'data-new-deployments="1"' in text and "New deployments to check" in text
    assert f'data-new="{new.id}"' in text  # the "New" marker in the registration's table
    assert f'data-new-deployment="{new.id}"' in text
    # the strict switch is offered next to it
    assert re.search(r'action="/admin/registrations/\d+/strict', text)

    # Without its CSRF token the acknowledgement is refused.
    refused = lti.client.post(
        f"/admin/deployments/{new.id}/acknowledge", data={"lid": launched.lid}
    )
    assert refused.status_code == 400
    assert deployment(app, "surprise-install").acknowledged_at is None
    resp = lti.client.post(
        f"/admin/deployments/{new.id}/acknowledge",
        data={"lid": launched.lid, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 303
    done = deployment(app, "surprise-install")
    assert done.acknowledged_at is not None and "Ada Admin" in done.acknowledged_by
    assert audit_count(app, platform.tenant_id, "deployment.acknowledge") == 1
    text = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    assert "New deployments to check" not in text and f'data-new="{new.id}"' not in text


def test_only_recent_deployments_of_the_own_tenant_are_listed(app, make_platform, driver):
    platform = make_platform()
    other = make_platform()
    lti, launched = admin_launch(driver, platform)
    launch_from(driver, platform, "recent-install", "stu-recent")
    launch_from(driver, platform, "old-install", "stu-old")
    launch_from(driver, other, "their-install", "stu-theirs")
    with app.app_context():
        old = db.session.scalar(select(Deployment).where(Deployment.deployment_id == "old-install"))
        old.first_seen_at -= dt.timedelta(days=31)
        db.session.commit()
    text = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    assert 'data-new-deployments="1"' in text
    notice = text[text.index("New deployments to check") : text.index("registrations-heading")]
    assert "recent-install" in notice
    assert "old-install" not in notice and "their-install" not in text
    # another tenant's deployment cannot be acknowledged from here
    theirs = deployment(app, "their-install")
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}")
    resp = lti.client.post(
        f"/admin/deployments/{theirs.id}/acknowledge",
        data={"lid": launched.lid, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 404
    assert deployment(app, "their-install").acknowledged_at is None


def test_strict_mode_is_one_switch_away_and_audited(app, make_platform, driver):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    # positive control: open, a new deployment launches at once
    assert launch_from(driver, platform, "before-strict", "stu-b").home.status_code == 200
    with app.app_context():
        reg_id = db.session.scalar(
            select(Registration.id).where(Registration.client_id == platform.client_id)
        )
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}")
    assert "Make new deployment ids wait for approval (strict)" in page.get_data(as_text=True)
    resp = lti.client.post(
        f"/admin/registrations/{reg_id}/strict",
        data={"lid": launched.lid, "csrf_token": csrf_token(page), "strict": "1"},
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(Registration, reg_id).strict_deployments is True
    assert audit_count(app, platform.tenant_id, "registration.strict_deployments") == 1
    pending_deployment(platform, driver, "after-strict")
    text = lti.client.get(f"/admin/registrations?lid={launched.lid}").get_data(as_text=True)
    assert "after-strict" in text and "Pending approval" in text
    assert "Let new deployment ids launch at once" in text


def test_the_pages_list_of_new_deployments_from_its_registrations_is_the_querys(
    app, make_platform, driver
):
    """The admin pages take the new deployments from the registrations they read (one query
    less): the same deployments in the same order as the query finds them."""
    from lti_tool.admin.services import list_registrations, new_deployments

    platform = make_platform()
    for n, deployment_id in enumerate(("first-new", "second-new", "acknowledged-one", "old-one")):
        launch_from(driver, platform, deployment_id, f"stu-{n}")
    with app.app_context():
        rows = {d.deployment_id: d for d in db.session.scalars(select(Deployment))}
        rows["acknowledged-one"].acknowledged_at = rows["acknowledged-one"].first_seen_at
        rows["old-one"].first_seen_at -= dt.timedelta(days=31)
        rows["second-new"].first_seen_at = rows["first-new"].first_seen_at  # a tie: by id
        db.session.commit()
        queried = [d.deployment_id for d in new_deployments(platform.tenant_id)]
        regs = list_registrations(platform.tenant_id)
        listed = [d.deployment_id for d in new_deployments(platform.tenant_id, registrations=regs)]
    assert queried == ["second-new", "first-new"]
    assert listed == queried
