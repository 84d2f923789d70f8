"""Role mapping: the decision table, and what each role's launch lands on."""

from __future__ import annotations

import pytest

from lti_tool.roles import (
    ADMIN,
    ADVISOR,
    FACULTY,
    INSTITUTION,
    MEMBERSHIP,
    OBSERVER,
    STUDENT,
    decide,
)

TA = f"{MEMBERSHIP}/Instructor#TeachingAssistant"
INSTRUCTOR = f"{MEMBERSHIP}#Instructor"
LEARNER = f"{MEMBERSHIP}#Learner"
MENTOR = f"{MEMBERSHIP}#Mentor"
INST_ADMIN = f"{INSTITUTION}#Administrator"
RULE = {"advisor_claim": {"name": "career_credit_role", "value": "advisor"}}


@pytest.mark.parametrize(
    ("roles", "custom", "settings", "granted", "context", "expected"),
    [
        ([LEARNER], {}, {}, False, True, (STUDENT, False, False)),
        ([INSTRUCTOR], {}, {}, False, True, (FACULTY, False, False)),
        # Canvas sends TAs both the sub-role and Instructor: the sub-role wins, read-only
        ([INSTRUCTOR, TA], {}, {}, False, True, (FACULTY, True, False)),
        (["Instructor"], {}, {}, False, True, (FACULTY, False, False)),  # LTI 1.1 short name
        # a Canvas observer (parent) is never an advisor
        ([MENTOR], {}, RULE, False, True, (OBSERVER, False, False)),
        # Canvas admins carry institution roles into courses: the course role still decides
        ([LEARNER, INST_ADMIN], {}, {}, False, True, (STUDENT, False, True)),
        ([INSTRUCTOR, INST_ADMIN], {}, {}, False, True, (FACULTY, False, True)),
        ([INST_ADMIN], {}, {}, False, False, (ADMIN, False, True)),
        # the tenant may switch institution admins off as tool admins
        (
            [INST_ADMIN],
            {},
            {"institution_admin_is_tool_admin": False},
            False,
            False,
            (None, False, False),
        ),
        # advisors: by the tenant's claim rule where it is scoped (a launch without a course),
        # or by an explicit grant
        (
            [INSTRUCTOR],
            {"career_credit_role": "advisor"},
            RULE,
            False,
            False,
            (ADVISOR, False, False),
        ),
        # a custom parameter never outranks a course role
        (
            [INSTRUCTOR],
            {"career_credit_role": "advisor"},
            RULE,
            False,
            True,
            (FACULTY, False, False),
        ),
        ([LEARNER], {"career_credit_role": "advisor"}, RULE, False, True, (STUDENT, False, False)),
        ([TA], {"career_credit_role": "advisor"}, RULE, False, True, (FACULTY, True, False)),
        # in a course, without a course role, the claim alone does not make an advisor
        ([], {"career_credit_role": "advisor"}, RULE, False, True, (None, False, False)),
        ([INSTRUCTOR], {"career_credit_role": "advisor"}, {}, False, True, (FACULTY, False, False)),
        ([], {}, {}, True, False, (ADVISOR, False, False)),
        ([LEARNER], {}, {}, True, True, (STUDENT, False, False)),
        ([MENTOR], {}, {}, True, True, (ADVISOR, False, False)),
        ([], {}, {}, False, True, (None, False, False)),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"],
            {},
            {},
            False,
            True,
            (None, False, False),
        ),
    ],
)
def test_role_table(roles, custom, settings, granted, context, expected):
    d = decide(roles, custom, settings, advisor_granted=granted, has_context=context)
    assert (d.role, d.read_only, d.is_tool_admin) == expected


def test_ta_launch_is_faculty_read_only(lti):
    home = lti.launch(sub="ta-1", role="ta").home
    assert home.status_code == 200
    assert "Teaching assistant (read-only)" in home.get_data(as_text=True)


def test_observer_page_shows_no_student_data(lti):
    lti.launch(sub="stu-private", role="student", name="Private Student")
    home = lti.launch(sub="parent-1", role="observer", name="Pat Parent").home
    page = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "shows no information about any student" in page
    assert "Private Student" not in page


def test_observer_cannot_open_student_or_faculty_pages(lti):
    launched = lti.launch(sub="parent-2", role="observer", follow=False)
    for path in ("/home/student", "/home/faculty", "/home/advisor", "/admin/"):
        resp = lti.client.get(f"{path}?lid={launched.lid}")
        assert resp.status_code == 403, path


def test_student_cannot_open_faculty_home(lti):
    launched = lti.launch(sub="stu-x", role="student", follow=False)
    resp = lti.client.get(f"/home/faculty?lid={launched.lid}")
    assert resp.status_code == 403
    assert 'data-reason="role"' in resp.get_data(as_text=True)


def test_advisor_by_tenant_rule(make_platform, driver):
    platform = make_platform(tenant_settings=RULE)
    home = (
        driver(platform)
        .launch(sub="adv-1", role="faculty", course=None, custom={"career_credit_role": "advisor"})
        .home
    )
    assert home.status_code == 200
    assert "Career advisor" in home.get_data(as_text=True)


def test_admin_from_account_navigation_lands_on_admin(lti):
    home = lti.launch(sub="adm-1", role="admin", course=None).home
    assert home.status_code == 200
    assert "administration" in home.get_data(as_text=True).lower()


def test_unsupported_role_is_explained(lti):
    params = lti.login("designer")
    body = lti.platform.claims(
        sub="designer",
        role=f"{MEMBERSHIP}#ContentDeveloper",
        nonce=params["nonce"],
        context={"id": "c1", "title": "T"},
    )
    resp = lti.post(lti.platform.sign(body), params["state"])
    assert resp.status_code == 400
    assert 'data-reason="unsupported_role"' in resp.get_data(as_text=True)
