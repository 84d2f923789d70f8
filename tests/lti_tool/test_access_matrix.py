"""The access-control matrix: every route that needs a launch, for every role a launch can
carry (student, instructor, teaching assistant, career advisor, observer, institution
administrator) and for nobody (no launch; a supervisor link is no launch either), against what
the route declares. A role the route admits never meets a refusal; any other role meets 403
with the reason ``role`` (or ``read_only`` for a teaching assistant's write); nobody is ever
answered with a 500.

Routes are read from the app, so a new route joins the matrix by declaring its roles. Tenancy
(another institution's user asking for this one's records by id) is proven per domain; here a
second school's instructor meets the same answers as the first school's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.routing import IntegerConverter

from tests.helpers import ADVISOR_RULE, launch_csrf

ROLES = ("student", "faculty", "ta", "advisor", "observer", "admin")


@dataclass
class Caller:
    role: str  # the launch role as the tool decides it
    read_only: bool
    tool_admin: bool
    client: Any
    lid: str
    csrf: str


def _routes(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if rule.endpoint == "static" or view is None or not getattr(view, "required_roles", ()):
            continue
        yield rule, view


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        values[arg] = 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def _caller(app, make_platform, driver, role: str, sub: str | None = None, platform=None) -> Caller:
    """A launch of ``role`` on ``platform`` (a new school of its own unless given)."""
    platform = platform or make_platform(tenant_settings=ADVISOR_RULE)
    custom, launch_role = {}, role
    if role == "advisor":
        custom, launch_role = {"career_credit_role": "advisor"}, "faculty"
    lti = driver(platform)
    launched = lti.launch(
        sub=sub or f"matrix-{role}",
        role=launch_role,
        custom=custom,
        follow=False,
        course=None if role in ("admin", "advisor") else "course-1",
    )
    from lti_tool.auth import load_launch

    with app.app_context():
        ctx = load_launch(launched.lid)
        assert ctx is not None
        decided = (ctx.role, ctx.read_only, ctx.is_tool_admin)
    csrf = launch_csrf(app, launched.lid)
    return Caller(decided[0], decided[1], decided[2], lti.client, launched.lid, csrf)


def _admits(view, caller: Caller, method: str) -> tuple[bool | None, str]:
    """Whether the route admits the caller (None: either answer is right) and the reason of
    a refusal. ``write=True`` refuses read-only launches for every method (as the decorator
    does); a view may also refuse a read-only launch's POST itself."""
    as_admin = getattr(view, "tool_admin_access", False) and caller.tool_admin
    if caller.role not in view.required_roles and not as_admin:
        return False, "role"
    if caller.read_only and not as_admin:
        if getattr(view, "write_access", False):
            return False, "read_only"
        if method == "POST":
            return None, "read_only"
    return True, ""


def test_every_route_answers_every_role_as_it_declares(app, make_platform, driver):
    callers = {role: _caller(app, make_platform, driver, role) for role in ROLES}
    assert callers["ta"].read_only and callers["ta"].role == "faculty"
    assert callers["advisor"].role == "advisor" and callers["observer"].role == "observer"
    assert callers["admin"].tool_admin
    anonymous = app.test_client()
    checked, problems = 0, []
    for rule, view in _routes(app):
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = anonymous.open(url, method=method)
            if resp.status_code not in ({400, 401} if method == "POST" else {401}):
                problems.append(f"nobody {method} {rule.rule} -> {resp.status_code}")
            for name, caller in callers.items():
                allowed, reason = _admits(view, caller, method)
                data = {"lid": caller.lid, "csrf_token": caller.csrf} if method == "POST" else None
                resp = caller.client.open(
                    url, method=method, query_string={"lid": caller.lid}, data=data
                )
                status, body = resp.status_code, resp.get_data()
                checked += 1
                if status >= 500:
                    problems.append(f"{name} {method} {rule.rule} -> {status}")
                elif allowed is None and status in (401, 403):
                    if f'data-reason="{reason}"'.encode() not in body:
                        problems.append(f"{name} {method} {rule.rule} -> {status} without reason")
                elif allowed and status in (401, 403):
                    problems.append(f"{name} {method} {rule.rule} refused ({status}) but admitted")
                elif allowed is False and (
                    status != 403 or f'data-reason="{reason}"'.encode() not in body
                ):
                    problems.append(f"{name} {method} {rule.rule} -> {status}, wanted 403 {reason}")
    if problems:
        print("\n".join(problems))
    assert problems == []
    assert checked > 300


MARKER = "Zelda Quixotic-Foreign"


def _school_a(app, make_platform, driver) -> tuple[Any, dict[str, Any]]:
    """School A: a student named MARKER with finished work, an award and a deliverable; the
    ids of every record of theirs a route can name."""
    from sqlalchemy import select

    from credit.services import awards as award_svc
    from internships.work.models import Deliverable
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from lti_tool.jobs import OutboxMessage
    from lti_tool.models import Deployment
    from tests.credit.conftest import give_work

    school_a = make_platform(tenant_settings=ADVISOR_RULE)
    a_faculty = driver(school_a).launch(sub="a-fac", role="faculty", follow=False).lid
    a_student = driver(school_a).launch(sub="a-stu", role="student", follow=False, name=MARKER).lid
    with app.app_context():
        sctx, fctx = load_launch(a_student), load_launch(a_faculty)
        assert sctx is not None and fctx is not None
        engagement = give_work(sctx, hours=50)
        db.session.add(
            Deliverable(
                tenant_id=sctx.tenant_id,
                engagement_id=engagement.id,
                title="Report",
                url="https://example.org/report",
            )
        )
        db.session.commit()
        award = award_svc.award_credit(
            fctx,
            sctx.user_id,
            award_svc.AwardInput(1, None, "", award_svc.new_idempotency_key()),
            lineitem_url="https://lms.example.edu/line_items/1",
        )
        db.session.commit()
        ids = {
            "listing_id": engagement.listing_id,
            "employer_id": engagement.listing.employer_id,
            "engagement_id": engagement.id,
            "application_id": engagement.application_id,
            "student_id": sctx.user_id,
            "course_id": sctx.course_id,
            "award_id": award.id,
            "registration_id": sctx.registration_id,
            "deliverable_id": db.session.scalar(
                select(Deliverable.id).where(Deliverable.engagement_id == engagement.id)
            ),
            "message_id": db.session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.source == f"credit_award:{award.id}")
            ),
            "deployment_pk": db.session.scalar(
                select(Deployment.id).where(Deployment.registration_id == sctx.registration_id)
            ),
        }
    # Positive control: school A's own instructor does see the student.
    own = driver(school_a).client.get(f"/credit/students/{ids['student_id']}?lid={a_faculty}")
    assert MARKER in own.get_data(as_text=True)
    return school_a, ids


def _never_shown(
    app, ids: dict[str, Any], callers: dict[str, Caller], shared: tuple[str, ...] = ()
) -> None:
    """Every route that names one of school A's ids, for every caller: refused or told it
    does not exist (except routes naming only ``shared`` records, which the callers' own
    institution publishes to all its students); never a 500, never a page with A's student."""
    problems, checked = [], 0
    for rule, _view in _routes(app):
        if not any(arg in ids for arg in rule.arguments):
            continue
        values = {arg: ids.get(arg, 1) for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name, caller in callers.items():
                data = {"lid": caller.lid, "csrf_token": caller.csrf} if method == "POST" else None
                resp = caller.client.open(
                    url, method=method, query_string={"lid": caller.lid}, data=data
                )
                checked += 1
                body = resp.get_data()
                if resp.status_code >= 500 or MARKER.encode() in body:
                    problems.append(f"{name} {method} {rule.rule} -> {resp.status_code}")
                elif (
                    method == "GET"
                    and resp.status_code == 200
                    and rule.rule not in ("/credit/engagements/<int:engagement_id>/course",)
                    and not set(rule.arguments) <= set(shared)
                ):
                    problems.append(f"{name} GET {rule.rule} -> 200 with another school's id")
    if problems:
        print("\n".join(problems))
    assert problems == []
    assert checked > 100


def test_another_institutions_people_never_see_this_ones_records(app, make_platform, driver):
    """School A's records (a student named MARKER with finished work, an award, a deliverable);
    school B's student, instructor, advisor and administrator ask for every route with A's ids.
    They are refused or told it does not exist, and no page ever shows A's student."""
    _school, ids = _school_a(app, make_platform, driver)
    # Another school whose LMS sends look-alike values: the same subs and course context id.
    callers = {
        role: _caller(app, make_platform, driver, role, sub={"student": "a-stu"}.get(role, "a-fac"))
        for role in ("student", "faculty", "advisor", "admin")
    }
    _never_shown(app, ids, callers)


def test_a_second_lms_of_the_same_institution_never_sees_the_first_ones_records(
    app, make_platform, driver
):
    """A second LMS joined to school A's tenant sends the same subs and the same course context
    id as the first: its student and instructor are other people in another course, and meet
    the same refusals as another school's."""
    from lti_tool.extensions import db
    from lti_tool.models import Tenant

    school, ids = _school_a(app, make_platform, driver)
    with app.app_context():
        name = db.session.get(Tenant, school.tenant_id).name
    second = make_platform(tenant=name)
    assert second.tenant_id == school.tenant_id and second.issuer != school.issuer
    callers = {
        "student": _caller(app, make_platform, driver, "student", sub="a-stu", platform=second),
        "faculty": _caller(app, make_platform, driver, "faculty", sub="a-fac", platform=second),
    }
    # the institution's listings are open to all its students, whichever LMS they come from
    _never_shown(app, ids, callers, shared=("listing_id", "employer_id"))
