"""The Career advisors admin page through real signed launches: the search that finds the
person to grant the role to (tenant-scoped, case-insensitive, at least two characters, symbols
taken literally, paged with the count of the rest), the grant and revocation, the refusals
shown again at the page's own address with 422, and the list of everyone who is an advisor,
granted here or made one by the LMS claim rule."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from lti_tool.extensions import db
from lti_tool.models import AdvisorGrant, Launch, Tenant, User
from tests.helpers import csrf_token, launch_csrf
from tests.lti_tool.test_admin import admin_launch, audit_count, user_id

RULE = {"advisor_claim": {"name": "career_credit_role", "value": "advisor"}}
CLAIM = {"career_credit_role": "advisor"}


def _search(lti, lid: str, q: str, page: int | None = None):
    url = f"/admin/advisors?lid={lid}&q={q}" + (f"&page={page}" if page else "")
    resp = lti.client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    return resp


def _offered(resp) -> set[str]:
    """The ids the search offers to grant (one radio button each)."""
    return set(re.findall(r'type="radio" name="user" id="person-\d+" value="(\d+)"', resp.text))


def _grant(lti, lid: str, page, user: str, q: str = ""):
    data = {"lid": lid, "csrf_token": csrf_token(page), "user": user, "q": q}
    return lti.client.post("/admin/advisors", data=data)


def _grants(app, tenant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AdvisorGrant)
            .where(AdvisorGrant.tenant_id == tenant_id)
        )


def test_the_search_finds_people_of_the_tenant_only_ignoring_case(make_platform, driver, app):
    mine, theirs = make_platform(), make_platform()
    driver(mine).launch(sub="grace-h", role="faculty", name="Grace Hopper")
    driver(mine).launch(sub="alan-t", role="faculty", name="Alan Turing")
    driver(theirs).launch(sub="grace-t", role="faculty", name="Grace Theirs")
    lti, launched = admin_launch(driver, mine)

    found = _search(lti, launched.lid, "GRACE")
    assert "Grace Hopper" in found.text  # positive control
    assert "Grace Theirs" not in found.text and "Alan Turing" not in found.text
    assert _offered(found) == {str(user_id(app, mine.tenant_id, "grace-h"))}
    assert "1 person matches “GRACE”" in found.text
    # by part of the email address, as well
    by_email = _search(lti, launched.lid, "Alan-T@Example")
    assert _offered(by_email) == {str(user_id(app, mine.tenant_id, "alan-t"))}
    # another tenant's person, searched by their exact email, is nobody here
    assert "No one at your institution matches" in _search(lti, launched.lid, "grace-t@").text
    # the listing of everyone who ever launched is gone: no search, nobody offered
    assert _offered(_search(lti, launched.lid, "")) == set()


def test_a_search_needs_two_characters_and_takes_symbols_literally(make_platform, driver, app):
    platform = make_platform()
    driver(platform).launch(sub="ann-lee", role="faculty", name="Ann_Lee")
    driver(platform).launch(sub="annxlee", role="faculty", name="Annxlee Smith")
    lti, launched = admin_launch(driver, platform)

    one = _search(lti, launched.lid, "a")
    assert "Enter at least 2 characters of a name or email address." in one.text
    assert 'aria-invalid="true"' in one.text and _offered(one) == set()
    assert _offered(_search(lti, launched.lid, " a ")) == set()  # spaces are not characters

    underscore = _search(lti, launched.lid, "n_l")  # "_" is not a wildcard
    assert _offered(underscore) == {str(user_id(app, platform.tenant_id, "ann-lee"))}
    percent = _search(lti, launched.lid, "%25%25")  # "%%" matches no one, not everyone
    assert _offered(percent) == set() and "No one at your institution matches" in percent.text
    markup = _search(lti, launched.lid, "<b>x</b>")
    assert "<b>x</b>" not in markup.text and "&lt;b&gt;x&lt;/b&gt;" in markup.text
    assert "No one at your institution matches" in _search(lti, launched.lid, "zzqq").text


def test_many_matches_come_in_pages_with_the_number_left(make_platform, driver, app):
    platform = make_platform()
    for n in range(23):
        driver(platform).launch(sub=f"cohort-{n:02}", role="faculty", name=f"Cohort {n:02}")
    lti, launched = admin_launch(driver, platform)

    first = _search(lti, launched.lid, "cohort")
    assert len(_offered(first)) == 20
    assert "23 people match “cohort”: 1 to 20 shown" in first.text
    assert "3 more — refine your search, or see the next page." in first.text
    assert "Cohort 00" in first.text and "Cohort 20" not in first.text
    second = _search(lti, launched.lid, "cohort", page=2)
    assert len(_offered(second)) == 3 and "Cohort 22" in second.text
    assert "more — refine your search" not in second.text


def test_grant_from_the_search_then_revoke(make_platform, driver, app):
    platform = make_platform()
    driver(platform).launch(sub="fay-f", role="faculty", name="Fay Future")
    lti, launched = admin_launch(driver, platform)
    fay = str(user_id(app, platform.tenant_id, "fay-f"))
    found = _search(lti, launched.lid, "fay")
    assert _offered(found) == {fay}

    done = _grant(lti, launched.lid, found, fay, "fay")
    assert done.status_code == 303
    page = lti.client.get(done.headers["Location"])
    assert "The career advisor role is granted" in page.text
    granted = r"Fay Future.*Granted by Ada Admin &lt;admin-1@example.edu&gt; \(user \d+\) on "
    assert re.search(granted + r"\d{4}-\d\d-\d\d \d\d:\d\d", page.text, re.S)
    # found again, she is named as an advisor and not offered a second time
    again = _search(lti, launched.lid, "fay")
    assert _offered(again) == set() and "already a career advisor by a grant" in again.text
    twice = _grant(lti, launched.lid, again, fay, "fay")
    assert twice.status_code == 422 and "Fay Future is already a career advisor." in twice.text
    assert (
        _grants(app, platform.tenant_id) == 1
        and audit_count(app, platform.tenant_id, "advisor.grant") == 1
    )

    grant_id = re.search(r'action="/admin/advisors/(\d+)/revoke', page.text).group(1)
    revoked = lti.client.post(
        f"/admin/advisors/{grant_id}/revoke",
        data={"lid": launched.lid, "csrf_token": csrf_token(page)},
    )
    assert revoked.status_code == 303
    assert _grants(app, platform.tenant_id) == 0
    assert audit_count(app, platform.tenant_id, "advisor.revoke") == 1
    assert _offered(_search(lti, launched.lid, "fay")) == {fay}


def test_a_refused_grant_shows_the_search_again_at_the_page_with_422(make_platform, driver, app):
    platform = make_platform()
    driver(platform).launch(sub="gil-g", role="faculty", name="Gil Grant")
    lti, launched = admin_launch(driver, platform)
    found = _search(lti, launched.lid, "gil")
    for bad, message in (
        ("", "Choose a person from the search results."),
        ("gil", "Choose a person from the search results."),
        ("0", "Choose a person from the search results."),
        ("99999999999", "Choose a person from the search results."),
        ("999999999", "not known at your institution"),
    ):
        resp = _grant(lti, launched.lid, found, bad, "gil")
        assert resp.status_code == 422, bad
        assert resp.request.path == "/admin/advisors"  # the page's own address
        assert message in resp.text, bad
        assert "Nobody was granted the role" in resp.text
        # what was searched is shown again, ready to choose from
        assert _offered(resp) == {str(user_id(app, platform.tenant_id, "gil-g"))}
        assert 'name="q" type="hidden" value="gil"' in resp.text
    assert _grants(app, platform.tenant_id) == 0


@pytest.mark.parametrize("role", ["student", "faculty"])
def test_students_and_faculty_cannot_use_the_page(make_platform, driver, app, role):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    assert "Ada Admin" in _search(lti, launched.lid, "ada").text  # positive control
    person = driver(platform)
    course = person.launch(sub=f"{role}-x", role=role)
    assert person.client.get(f"/admin/advisors?lid={course.lid}&q=ada").status_code == 403
    me = str(user_id(app, platform.tenant_id, f"{role}-x"))
    token = launch_csrf(app, course.lid)  # their own valid token: the role is what refuses
    refused = person.client.post(
        "/admin/advisors", data={"lid": course.lid, "csrf_token": token, "user": me}
    )
    assert refused.status_code == 403
    assert _grants(app, platform.tenant_id) == 0


def test_the_page_lists_the_advisors_the_claim_rule_made(make_platform, driver, app):
    platform = make_platform(tenant_settings=RULE)
    other = make_platform(tenant_settings=RULE)
    claimed = driver(platform).launch(
        sub="cla-r", role="faculty", course=None, custom=CLAIM, name="Clara Rule"
    )
    assert "Career advising at" in claimed.home.text
    # the claim inside a course does not make an instructor an advisor: not listed
    driver(platform).launch(sub="ivy-i", role="faculty", custom=CLAIM, name="Ivy Instructor")
    # a granted advisor who also sends the claim is listed both ways
    driver(platform).launch(sub="bo-b", role="faculty", name="Bo Both")
    with app.app_context():
        bo = db.session.scalar(select(User).where(User.sub == "bo-b"))
        db.session.add(AdvisorGrant(tenant_id=platform.tenant_id, user_id=bo.id, granted_by="T"))
        db.session.commit()
    driver(platform).launch(sub="bo-b", role="faculty", course=None, custom=CLAIM, name="Bo Both")
    driver(other).launch(sub="oz-o", role="faculty", course=None, custom=CLAIM, name="Oz Other")

    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    claim_section = page.split('id="claim-heading"')[1].split('id="grant-heading"')[0]
    assert re.search(
        r"Clara Rule.*From the LMS claim career_credit_role = advisor \(Test LMS \w+\), "
        r"last launch \d{4}-\d\d-\d\d \d\d:\d\d",
        claim_section,
        re.S,
    )
    assert "Change the claim in the LMS, or the rule in Settings." in claim_section
    assert "Bo Both" in claim_section and "Also granted above" in claim_section
    assert "Ivy Instructor" not in page and "Oz Other" not in page
    assert "2 people made career advisors by the claim" in claim_section

    # the rule changes: launches the old rule decided are not listed any more
    with app.app_context():
        tenant = db.session.get(Tenant, platform.tenant_id)
        tenant.settings = {
            **tenant.settings,
            "advisor_claim": {"name": "career_credit_role", "value": "counselor"},
        }
        db.session.commit()
    changed = lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    assert "Clara Rule" not in changed and "<code>counselor</code>" in changed

    # with the rule back, Clara is listed again, and still once her launches are purged
    # (removed here as the hourly purge would): what the rule decided is kept apart
    with app.app_context():
        tenant = db.session.get(Tenant, platform.tenant_id)
        tenant.settings = {**tenant.settings, **RULE}
        db.session.commit()
    assert "Clara Rule" in lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    with app.app_context():
        clara = user_id(app, platform.tenant_id, "cla-r")
        db.session.execute(delete(Launch).where(Launch.user_id == clara))
        db.session.commit()
    purged = lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    assert "Clara Rule" in purged


def test_without_a_rule_only_grants_make_advisors(make_platform, driver):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    assert "No claim rule is set, so only the grants above make career advisors." in page
    assert "No one has been granted the career advisor role." in page


def test_saving_the_settings_keeps_the_placements_the_rule_names(make_platform, driver, app):
    """The settings form shows the rule's claim name and value only; the placements an
    operator gave it (``resource_links``) survive a save of the form."""
    placed = {"advisor_claim": {**RULE["advisor_claim"], "resource_links": ["rl-careers"]}}
    platform = make_platform(tenant_settings=placed)
    lti, launched = admin_launch(driver, platform)
    page = lti.client.get(f"/admin/settings?lid={launched.lid}")
    form = {
        "lid": launched.lid,
        "csrf_token": csrf_token(page),
        "time_zone": "America/Chicago",
        "advisor_claim_name": "career_credit_role",
        "advisor_claim_value": "counselor",
        "institution_admin_is_tool_admin": "y",
    }
    assert lti.client.post("/admin/settings", data=form).status_code == 303
    with app.app_context():
        rule = db.session.get(Tenant, platform.tenant_id).settings["advisor_claim"]
    assert rule == {
        "name": "career_credit_role",
        "value": "counselor",
        "resource_links": ["rl-careers"],
    }
    listed = lti.client.get(f"/admin/advisors?lid={launched.lid}").text
    assert "or from the placement rl-careers" in listed
