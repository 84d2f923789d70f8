"""The advisor home's figures (issue 16): current on every view at a usual institution; kept
per term and shown with their age past ``ADVISOR_HOME_KEEP_FROM`` engagements, worked out
again by "Refresh now" or by the work pool when older than ``ADVISOR_HOME_MAX_AGE_S``; never
shown under other at-risk thresholds; dropped when a person is erased."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from accreditation.reports.models import AdvisorHomeSnapshot
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.privacy.hooks import run_erasure_hooks
from tests.helpers import counted, csrf_token, launch_csrf

from .conftest import World

AT_RISK_4 = "4 engagements are at risk"
AT_RISK_3 = "3 engagements are at risk"


def _home(world: World, path: str = "/reports/") -> str:
    resp = world.advisor.client.get(f"{path}?lid={world.advisor.lid}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def _refresh(world: World):
    """ "Refresh now" (the button shows only once figures are kept; the pool keeps the first)."""
    advisor = world.advisor
    token = launch_csrf(advisor.client.application, advisor.lid)
    return advisor.client.post(
        f"/reports/?lid={advisor.lid}",
        data={"form": "refresh", "csrf_token": token, "lid": advisor.lid},
    )


def _kept(app, tenant_id: int) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(AdvisorHomeSnapshot.id)).where(
                    AdvisorHomeSnapshot.tenant_id == tenant_id
                )
            )
        )


def _acknowledge_chloes_agreement(app, world: World) -> None:
    """Chloé's engagement stops being at risk (its only reason was the agreement)."""
    with app.app_context():
        db.session.execute(
            update(Engagement)
            .where(Engagement.id == world.ids["e_chloe"])
            .values(acknowledged_at=dt.datetime.now())
        )
        db.session.commit()


def _six_minutes_old(app, world: World) -> None:
    """The kept figures are older than ``ADVISOR_HOME_MAX_AGE_S`` (5 minutes)."""
    with app.app_context():
        db.session.execute(
            update(AdvisorHomeSnapshot)
            .where(AdvisorHomeSnapshot.tenant_id == world.tenant_id)
            .values(computed_at=utcnow() - dt.timedelta(minutes=6))
        )
        db.session.commit()


@pytest.fixture
def large(app, monkeypatch):
    """Every institution counts as large: the home keeps its figures."""
    monkeypatch.setitem(app.config, "ADVISOR_HOME_KEEP_FROM", 1)


def test_a_usual_institution_sees_current_figures_and_keeps_none(app, world: World):
    assert AT_RISK_4 in (first := _home(world))
    assert "Figures as of" not in first and "Refresh now" not in first
    with app.app_context(), counted() as statements:
        _home(world)  # this process found it small: no look for kept figures
    assert not [s for s in statements if "advisor_home_snapshot" in s]
    counts = [s for s in statements if "listing.status" in s]  # the open listings' count
    assert len(counts) == 1 and "engagement.status" in counts[0]  # with the states, one read
    _acknowledge_chloes_agreement(app, world)
    assert AT_RISK_3 in _home(world)  # current on the next view
    assert AT_RISK_3 in _home(world, "/home/advisor")
    assert _kept(app, world.tenant_id) == 0


def test_kept_figures_are_shown_with_their_age_until_refreshed(app, world: World, large):
    first = _home(world)
    assert AT_RISK_4 in first and "Figures as of" not in first  # none kept yet: worked out
    assert _kept(app, world.tenant_id) == 0  # a view writes nothing (no pool in tests)
    resp = _refresh(world)
    assert resp.status_code == 303
    done = world.advisor.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The figures are worked out again." in done
    assert _kept(app, world.tenant_id) == 1

    _acknowledge_chloes_agreement(app, world)
    kept = _home(world)
    assert AT_RISK_4 in kept and "Figures as of" in kept and "Refresh now" in kept
    assert "worked out again every 5 minutes" in kept
    panel = _home(world, "/home/advisor")
    assert AT_RISK_4 in panel and "Figures as of" in panel
    assert "Supervisor evaluation overdue" in kept  # the reasons, kept with the rows
    assert f"/reports/students/{world.ids['chloe']}?" in kept  # the students, linked

    _refresh(world)
    assert AT_RISK_3 in _home(world)
    assert _kept(app, world.tenant_id) == 1  # the same row, worked out again


def test_old_kept_figures_are_worked_out_for_the_view_without_a_pool(app, world: World, large):
    _refresh(world)
    _acknowledge_chloes_agreement(app, world)
    _six_minutes_old(app, world)
    body = _home(world)
    assert AT_RISK_3 in body and "Figures as of" not in body


def test_other_thresholds_never_show_kept_figures(app, world: World, large):
    _home(world)  # this process finds the institution large (the launch's home saw it empty)
    _refresh(world)
    _acknowledge_chloes_agreement(app, world)
    assert AT_RISK_4 in _home(world)  # kept
    settings = world.advisor.client.get(f"/reports/settings?lid={world.advisor.lid}")
    resp = world.advisor.client.post(
        f"/reports/settings?lid={world.advisor.lid}",
        data={
            "csrf_token": csrf_token(settings),
            "lid": world.advisor.lid,
            "inactive_days": 15,
            "deadline_days": 14,
            "deadline_min_percent": 60,
            "lowest_level": 1,
            "evaluation_overdue_days": 7,
            "agreement_days": 7,
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    body = _home(world)
    assert AT_RISK_3 in body and "Figures as of" not in body  # worked out under the new ones


def test_the_pool_keeps_what_a_view_worked_out_and_refreshes_old_ones(
    app, world: World, large, pool
):
    first = _home(world)
    assert AT_RISK_4 in first and "Figures as of" not in first
    assert len(pool) == 1
    pool[0].result(30)  # the pool kept what the view worked out
    assert _kept(app, world.tenant_id) == 1
    _acknowledge_chloes_agreement(app, world)
    assert AT_RISK_4 in _home(world) and len(pool) == 1  # fresh: shown, nothing handed over
    _six_minutes_old(app, world)
    stale = _home(world)
    assert AT_RISK_4 in stale and "being worked out again now" in stale
    assert len(pool) == 2
    pool[1].result(30)
    assert AT_RISK_3 in _home(world)


def test_refresh_needs_its_csrf_token_and_the_advisor_role(app, world: World, large):
    advisor = world.advisor
    refused = advisor.client.post(
        f"/reports/?lid={advisor.lid}", data={"form": "refresh", "lid": advisor.lid}
    )
    assert refused.status_code == 400
    student = world.amara
    assert student.client.post(
        f"/reports/?lid={student.lid}", data={"form": "refresh", "lid": student.lid}
    ).status_code in (400, 403)
    assert _kept(app, world.tenant_id) == 0


def test_kept_figures_belong_to_their_institution(app, world: World, large, make_school):
    _refresh(world)
    other = make_school().person("advisor")
    body = other.client.get(f"/reports/?lid={other.lid}").get_data(as_text=True)
    assert "Amara Okafor" not in body and "Figures as of" not in body


def test_erasing_a_person_drops_the_kept_figures_that_may_name_them(app, world: World, large):
    _refresh(world)
    assert _kept(app, world.tenant_id) == 1
    with app.app_context():
        counts = run_erasure_hooks(world.tenant_id, world.ids["amara"])
        db.session.commit()
    assert counts["advisor_home_figures"] == 1
    assert _kept(app, world.tenant_id) == 0


def test_kept_figures_of_another_shape_are_worked_out_again(app, world: World, large):
    """A row kept by another version (a count it no longer has) is never a 500."""
    _refresh(world)
    with app.app_context():
        row = db.session.scalar(
            select(AdvisorHomeSnapshot).where(AdvisorHomeSnapshot.tenant_id == world.tenant_id)
        )
        row.data = {**row.data, "counts": {**row.data["counts"], "gone_count": 1}}
        db.session.commit()
    _acknowledge_chloes_agreement(app, world)
    body = _home(world)
    assert AT_RISK_3 in body and "Figures as of" not in body
