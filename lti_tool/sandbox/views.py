"""Sandbox LMS pages: home, the course page that frames the tool, the OIDC authorization
endpoint, the deep-linking return, and the gradebook."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..auth import public
from ..extensions import csrf, db
from ..models import Registration
from . import competencies
from .authorization import authorize, bound_line_item
from .deep_link_return import accept_deep_link_response
from .errors import SandboxError
from .models import SandboxCourse, SandboxEnrolment, SandboxKey, SandboxPerson
from .platform import DEEP_LINKERS, start_launch
from .seed import SandboxInfo, ensure_sandbox, sandbox_info
from .services import add_assignment, gradebook, placed_links
from .tokens import moodle_url

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

PERSON_GROUPS = [
    ("student", "Students"),
    ("faculty", "Instructors"),
    ("ta", "Teaching assistants"),
    ("advisor", "Career advisors"),
    ("observer", "Observers (parents)"),
    ("admin", "Institution administrators"),
]


def current_info() -> SandboxInfo:
    """The sandbox's identity from SANDBOX_TOOL_URL and SANDBOX_PLATFORM_URL."""
    cfg = current_app.config
    return sandbox_info(cfg["SANDBOX_TOOL_URL"], cfg["SANDBOX_PLATFORM_URL"])


def http_timeout() -> float:
    """Timeout of the sandbox's outbound calls (the tool's key set)."""
    return float(current_app.config["HTTP_TIMEOUT_S"])


@bp.errorhandler(SandboxError)
def handle_sandbox_error(exc: SandboxError) -> ResponseReturnValue:
    db.session.rollback()
    return render_template("sandbox/error.html", error=exc), exc.status


def _seeded(info: SandboxInfo) -> bool:
    return (
        db.session.scalar(select(SandboxKey.id).limit(1)) is not None
        and db.session.scalar(
            select(Registration.id).where(
                Registration.issuer == info.issuer, Registration.client_id == info.client_id
            )
        )
        is not None
    )


def _courses() -> list[SandboxCourse]:
    return list(db.session.scalars(select(SandboxCourse).order_by(SandboxCourse.label)))


@bp.get("")
@public
def home() -> ResponseReturnValue:
    info = current_info()
    if not _seeded(info):  # first visit on a fresh database: a demo needs no extra step
        ensure_sandbox(info.tool_url, info.platform_url)
    people = list(db.session.scalars(select(SandboxPerson).order_by(SandboxPerson.family_name)))
    groups = [(label, [p for p in people if p.kind == kind]) for kind, label in PERSON_GROUPS]
    enrolments = list(db.session.scalars(select(SandboxEnrolment)))
    return render_template(
        "sandbox/home.html",
        info=info,
        courses=_courses(),
        groups=groups,
        enrolments=enrolments,
        deep_linkers=DEEP_LINKERS,
        moodle_url=moodle_url(info),
    )


@bp.get("/launch")
@public
def launch() -> ResponseReturnValue:
    args = request.args
    start = start_launch(
        current_info(),
        course_key=args.get("course"),
        person_key=args.get("person"),
        message=args.get("message", "resource"),
        resource_link_id=args.get("resource_link") or None,
        platform_storage=args.get("storage") != "off",
    )
    # Rendered before the commit, which would expire the person, course and link it shows.
    page = render_template("sandbox/launch.html", start=start)
    db.session.commit()
    return page, {"Cache-Control": "no-store"}


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt
@public
def auth() -> ResponseReturnValue:
    form = authorize(current_info(), request.values.to_dict())
    return render_template("sandbox/auto_post.html", form=form), {"Cache-Control": "no-store"}


@bp.post("/deep_link_return")
@csrf.exempt
@public
def deep_link_return() -> ResponseReturnValue:
    placement = accept_deep_link_response(
        current_info(), request.form.get("JWT"), timeout=http_timeout()
    )
    db.session.commit()
    return render_template(
        "sandbox/placed.html",
        placement=placement,
        course=placement.course,
        links=placement.links,
        line_items=placement.line_items,
        people=_launchers(placement.course),
        default_person=placement.person.key,
    )


def _launchers(course: SandboxCourse) -> list[SandboxEnrolment]:
    return list(
        db.session.scalars(
            select(SandboxEnrolment)
            .where(SandboxEnrolment.course_id == course.id, SandboxEnrolment.status == "Active")
            .order_by(SandboxEnrolment.id)
        )
    )


@bp.get("/courses/<course_key>/items")
@public
def course_items(course_key: str) -> ResponseReturnValue:
    course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == course_key))
    if course is None:
        raise SandboxError(
            f"There is no sandbox course {course_key!r}.", parameter="course", status=404
        )
    links = placed_links(course)
    items = {link.id: item for link in links if (item := bound_line_item(link)) is not None}
    return render_template(
        "sandbox/placed.html",
        placement=None,
        course=course,
        links=links,
        line_items=items,
        people=_launchers(course),
        default_person=None,
    )


@bp.post("/courses/<course_key>/assignments")
@csrf.exempt
@public
def add_assignment_view(course_key: str) -> ResponseReturnValue:
    course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == course_key))
    if course is None:
        raise SandboxError(
            f"There is no sandbox course {course_key!r}.", parameter="course", status=404
        )
    add_assignment(current_info(), course, request.form.get("title"), request.form.get("points"))
    db.session.commit()
    return redirect(url_for("sandbox.course_items", course_key=course.key), code=303)


@bp.get("/gradebook")
@public
def gradebook_page() -> ResponseReturnValue:
    courses = _courses()
    key = request.args.get("course") or (courses[0].key if courses else "")
    course = next((c for c in courses if c.key == key), None)
    if course is None:
        raise SandboxError(f"There is no sandbox course {key!r}.", parameter="course", status=404)
    return render_template("sandbox/gradebook.html", book=gradebook(course), courses=courses)


@bp.get("/competencies")
@public
def competencies_page() -> ResponseReturnValue:
    """A course's competencies (what Moodle's web services list) and the ratings they received
    (what Career Credit wrote back), so a person sees the evidence reach the LMS."""
    courses = _courses()
    key = request.args.get("course") or (courses[0].key if courses else "")
    course = next((c for c in courses if c.key == key), None)
    if course is None:
        raise SandboxError(f"There is no sandbox course {key!r}.", parameter="course", status=404)
    return render_template(
        "sandbox/competencies.html",
        course=course,
        courses=courses,
        competencies=competencies.course_competencies(course),
        all_competencies=competencies.COMPETENCIES,
        ratings=competencies.ratings(course),
        scale=competencies.SCALE,
    )
