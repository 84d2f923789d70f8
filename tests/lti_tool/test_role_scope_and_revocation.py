"""A custom launch parameter never outranks a course role: the advisor claim rule applies only
to account-level launches (or placements the rule names), explicit grants are the default
path; and revoking a grant or changing a role rule ends the open launches it decided."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import AdvisorGrant, Launch, User
from lti_tool.roles import ADVISOR, FACULTY, MEMBERSHIP, STUDENT, decide
from tests.helpers import csrf_token, reason

from .test_admin import admin_launch, post_settings

RULE = {"advisor_claim": {"name": "career_credit_role", "value": "advisor"}}
CLAIM = {"career_credit_role": "advisor"}
STAFF = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"


def launched_role(app, lid: str) -> str:
    with app.app_context():
        return db.session.get(Launch, lid).role


def test_a_learner_with_the_advisor_parameter_in_a_course_stays_a_student(
    app, make_platform, driver
):
    platform = make_platform(tenant_settings=RULE)
    # positive control: the rule is on, and works where it is scoped (account level)
    advisor = driver(platform).launch(sub="adv-acct", role="faculty", course=None, custom=CLAIM)
    assert launched_role(app, advisor.lid) == "advisor"
    assert "Career advisor" in advisor.home.get_data(as_text=True)
    student = driver(platform).launch(sub="stu-claim", role="student", custom=CLAIM)
    assert launched_role(app, student.lid) == "student"
    assert student.home.status_code == 200
    assert "Career advisor" not in student.home.get_data(as_text=True)
    resp = student.home  # the student's own home; the advisor pages are refused
    advisor_home = driver(platform).client.get(f"/home/advisor?lid={student.lid}")
    assert resp.status_code == 200 and advisor_home.status_code in (401, 403)


def test_an_instructor_with_the_advisor_parameter_in_a_course_is_faculty(
    app, make_platform, driver
):
    platform = make_platform(tenant_settings=RULE)
    launched = driver(platform).launch(sub="fac-claim", role="faculty", custom=CLAIM)
    assert launched_role(app, launched.lid) == "faculty"
    resp = launched.home
    assert resp.status_code == 200 and "Career advisor" not in resp.get_data(as_text=True)


def test_the_rule_applies_to_a_placement_it_names():
    rule = {"advisor_claim": {**RULE["advisor_claim"], "resource_links": ["rl-advisor"]}}
    learner = [f"{MEMBERSHIP}#Learner"]
    named = decide([STAFF], CLAIM, rule, advisor_granted=False, has_context=True,
                   resource_link_id="rl-advisor")  # fmt: skip
    assert named.role == ADVISOR
    other = decide([STAFF], CLAIM, rule, advisor_granted=False, has_context=True,
                   resource_link_id="rl-board")  # fmt: skip
    assert other.role is None
    # even in the named placement a course role wins
    assert decide(learner, CLAIM, rule, advisor_granted=False, has_context=True,
                  resource_link_id="rl-advisor").role == STUDENT  # fmt: skip
    instructor = [f"{MEMBERSHIP}#Instructor"]
    assert decide(instructor, CLAIM, rule, advisor_granted=False, has_context=True,
                  resource_link_id="rl-advisor").role == FACULTY  # fmt: skip


def _grant(app, driver, platform, admin, sub: str) -> int:
    """The admin grants the advisor role to ``sub`` (who launched once) through the page."""
    lti, launched = admin
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.sub == sub))
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}&q={sub}")  # the email has it
    resp = lti.client.post(
        "/admin/advisors",
        data={"lid": launched.lid, "csrf_token": csrf_token(page), "user": str(user_id)},
    )
    assert resp.status_code == 303
    with app.app_context():
        return int(
            db.session.scalar(select(AdvisorGrant.id).where(AdvisorGrant.user_id == user_id))
        )


def test_an_explicit_grant_makes_an_advisor_without_any_parameter(app, make_platform, driver):
    platform = make_platform()  # no claim rule at all
    admin = admin_launch(driver, platform)
    first = driver(platform).launch(sub="ada-adv", role="faculty")  # known from a course
    assert launched_role(app, first.lid) == "faculty"
    _grant(app, driver, platform, admin, "ada-adv")
    account = driver(platform).launch(sub="ada-adv", role=STAFF, course=None)
    assert launched_role(app, account.lid) == "advisor"
    assert "Career advisor" in account.home.get_data(as_text=True)


def test_revoking_a_grant_ends_the_persons_open_advisor_launch(app, make_platform, driver):
    platform = make_platform()
    admin = admin_launch(driver, platform)
    course = driver(platform).launch(sub="rev-adv", role="faculty")
    grant_id = _grant(app, driver, platform, admin, "rev-adv")
    person = driver(platform)
    advisor = person.launch(sub="rev-adv", role=STAFF, course=None)
    assert person.client.get(f"/home/advisor?lid={advisor.lid}").status_code == 200  # control
    lti, launched = admin
    page = lti.client.get(f"/admin/advisors?lid={launched.lid}")
    resp = lti.client.post(
        f"/admin/advisors/{grant_id}/revoke",
        data={"lid": launched.lid, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 303
    ended = person.client.get(f"/home/advisor?lid={advisor.lid}")
    assert ended.status_code == 401 and reason(ended) == "revoked"
    assert "administrator changed the role" in ended.get_data(as_text=True)
    # the same person's course launch (faculty, not decided by the grant) keeps working
    assert person.client.get(f"/home/faculty?lid={course.lid}").status_code == 200
    # and so does the administrator's
    assert lti.client.get(f"/admin/?lid={launched.lid}").status_code == 200


def test_changing_the_advisor_rule_ends_the_launches_it_decided(app, make_platform, driver):
    platform = make_platform(tenant_settings=RULE)
    admin = admin_launch(driver, platform)
    by_rule = driver(platform)
    ruled = by_rule.launch(sub="rule-adv", role="faculty", course=None, custom=CLAIM)
    driver(platform).launch(sub="granted-adv", role="faculty")
    _grant(app, driver, platform, admin, "granted-adv")
    granted = driver(platform)
    kept = granted.launch(sub="granted-adv", role=STAFF, course=None, custom=CLAIM)
    assert by_rule.client.get(f"/home/advisor?lid={ruled.lid}").status_code == 200  # control
    lti, launched = admin
    resp = post_settings(lti, launched.lid, tz="UTC", value="career-advisor")
    assert resp.status_code == 303
    ended = by_rule.client.get(f"/home/advisor?lid={ruled.lid}")
    assert ended.status_code == 401 and reason(ended) == "revoked"
    assert granted.client.get(f"/home/advisor?lid={kept.lid}").status_code == 200
    assert lti.client.get(f"/admin/?lid={launched.lid}").status_code == 200


def test_a_named_placement_makes_a_staff_launch_in_a_course_an_advisors(app, make_platform, driver):
    """The rule's named placements are matched against the launch's resource link id."""
    rule = {"advisor_claim": {**RULE["advisor_claim"], "resource_links": ["rl-careers"]}}
    platform = make_platform(tenant_settings=rule)
    named = driver(platform).launch(
        sub="staff-1", role=STAFF, course="careers", custom=CLAIM, follow=False
    )
    assert launched_role(app, named.lid) == ADVISOR
    # The same person from any other link of a course: no role of theirs has a page.
    lti = driver(platform)
    params = lti.login("staff-2")
    body = platform.claims(
        sub="staff-2",
        role=STAFF,
        nonce=params["nonce"],
        context={"id": "bus-390", "title": "BUS 390"},
        custom=CLAIM,
    )
    refused = lti.post(platform.sign(body), params["state"])
    assert refused.status_code == 400 and reason(refused) == "unsupported_role"
