"""The sandbox LMS's Moodle web services (REST protocol), so that reading a course's
competencies and writing ratings back can be tried without a Moodle site:
``POST /sandbox/moodle/webservice/rest/server.php`` with ``wstoken``, ``wsfunction`` and
``moodlewsrestformat=json``, answering what Moodle answers — its documented JSON shapes, and
its errors as ``{"exception", "errorcode", "message"}`` with HTTP 200.

Functions served (the route is in ``api``): ``core_competency_list_course_competencies``,
``core_competency_list_competency_frameworks`` and ``core_competency_grade_competency_in_course``
(the ones Career Credit's Moodle connector calls). The web-service token is made by the seed
(``tokens.ensure_web_service``): a random one per database, only its SHA-256 kept by the
sandbox, the token itself stored (encrypted) as the sandbox registration's connector
credentials; never in git, never logged (it travels in the POST body, not the URL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import current_app

from . import competencies as comps
from .models import SandboxCourse
from .platform import find_enrolment
from .tokens import web_service_token_known

SERVER_PATH = "/webservice/rest/server.php"
WEB_SERVICE_USER = 2  # the site's web-service user (Moodle's first administrator)
# Moodle functions that exist but that the sandbox's external service does not offer.
NOT_IN_SERVICE = frozenset(
    {
        "core_competency_add_competency_to_course",
        "core_competency_list_user_plans",
        "core_competency_read_user_evidence",
        "core_course_get_courses",
        "core_enrol_get_enrolled_users",
    }
)


class MoodleException(Exception):
    """A refused call, answered as Moodle answers it (HTTP 200, an exception object)."""

    def __init__(self, exception: str, errorcode: str, message: str, debuginfo: str = ""):
        super().__init__(message)
        self.body: dict[str, Any] = {
            "exception": exception,
            "errorcode": errorcode,
            "message": message,
        }
        if debuginfo:
            self.body["debuginfo"] = debuginfo


# --- parameters and errors ------------------------------------------------------------------


def _invalid_parameter(debuginfo: str) -> MoodleException:
    return MoodleException(
        "invalid_parameter_exception",
        "invalidparameter",
        "Invalid parameter value detected",
        debuginfo,
    )


def _int(form: Mapping[str, str], name: str) -> int:
    raw = form.get(name)
    if raw is None:
        raise _invalid_parameter(f"Missing required key in single structure: {name}")
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 18:
        raise _invalid_parameter(f"{name} => Invalid parameter value detected")
    return int(text)


def _missing_record(table: str) -> MoodleException:
    return MoodleException(
        "dml_missing_record_exception",
        "invalidrecord",
        f"Can't find data record in database table {table}.",
    )


def _coding_error(text: str) -> MoodleException:
    """Moodle's ``coding_exception`` (its message names the faulty call, as Moodle's does)."""
    return MoodleException("coding_exception", "codingerror", f"Coding error detected: {text}")


def _course(moodle_id: int) -> SandboxCourse:
    course = comps.find_course(moodle_id)
    if course is None:
        raise _missing_record("course")
    return course


# --- the functions --------------------------------------------------------------------------


def _competency_json(c: comps.Competency, sortorder: int) -> dict[str, Any]:
    return {
        "shortname": c.shortname,
        "idnumber": c.idnumber,
        "description": c.description,
        "descriptionformat": 1,
        "sortorder": sortorder,
        "parentid": c.parent_id,
        "path": f"/0/{c.parent_id}/" if c.parent_id else "/0/",
        "ruleoutcome": 0,
        "ruletype": None,
        "ruleconfig": None,
        "scaleid": None,
        "scaleconfiguration": None,
        "competencyframeworkid": comps.FRAMEWORK_ID,
        "id": c.id,
        "timecreated": comps.EPOCH,
        "timemodified": comps.EPOCH,
        "usermodified": WEB_SERVICE_USER,
    }


def list_course_competencies(form: Mapping[str, str]) -> list[dict[str, Any]]:
    course = _course(_int(form, "id"))
    siblings: dict[int, int] = {}
    out = []
    for position, c in enumerate(comps.course_competencies(course)):
        sortorder = siblings.get(c.parent_id, 0)
        siblings[c.parent_id] = sortorder + 1
        out.append(
            {
                "competency": _competency_json(c, sortorder),
                "coursecompetency": {
                    "courseid": comps.moodle_course_id(course),
                    "competencyid": c.id,
                    "sortorder": position,
                    "ruleoutcome": 1,
                    "id": course.id * 1000 + c.id,
                    "timecreated": comps.EPOCH,
                    "timemodified": comps.EPOCH,
                    "usermodified": WEB_SERVICE_USER,
                },
                "coursemodules": [],
            }
        )
    return out


def list_competency_frameworks(form: Mapping[str, str]) -> list[dict[str, Any]]:
    count = len(comps.COMPETENCIES)
    scale = [{"scaleid": str(comps.FRAMEWORK["scaleid"])}] + [
        {"id": n, "scaledefault": int(n == 1), "proficient": int(n >= 3)}
        for n in range(1, len(comps.SCALE) + 1)
    ]
    return [
        {
            **comps.FRAMEWORK,
            "descriptionformat": 1,
            "visible": True,
            "scaleconfiguration": current_app.json.dumps(scale),
            "contextid": 1,
            "taxonomies": ",".join(["competency"] * 4),
            "timecreated": comps.EPOCH,
            "timemodified": comps.EPOCH,
            "usermodified": WEB_SERVICE_USER,
            "canmanage": False,
            "competenciescount": count,
            "contextname": "System",
            "contextnamenoprefix": "System",
        }
    ]


def grade_competency_in_course(form: Mapping[str, str]) -> dict[str, Any]:
    course = _course(_int(form, "courseid"))
    user_id, competency_id, grade = (_int(form, n) for n in ("userid", "competencyid", "grade"))
    note = form.get("note", "")[:1000]
    person = comps.find_person(user_id)
    if person is None:
        raise _missing_record("user")
    competency = comps.COMPETENCIES.get(competency_id)
    if competency is None:
        raise _missing_record("competency")
    if competency not in comps.course_competencies(course):
        raise _coding_error("The competency does not belong to this course")
    enrolment = find_enrolment(course, person)
    if enrolment is None or enrolment.role != "learner" or enrolment.status != "Active":
        raise _coding_error("The competency may not be rated at this time.")
    if not 1 <= grade <= len(comps.SCALE):
        raise _invalid_parameter(f"grade => The grade {grade} is not in the competency's scale")
    result = comps.rate(course, person, competency, grade, note)
    now = result.timestamp_utc
    stamp = int(now.replace(tzinfo=dt.UTC).timestamp())
    return {
        "usercompetencyid": result.id,
        "contextid": 50 + course.id,
        "action": 3,  # evidence::ACTION_OVERRIDE
        "actionuserid": WEB_SERVICE_USER,
        "descidentifier": "evidence_manualoverrideincourse",
        "desccomponent": "core_competency",
        "desca": current_app.json.dumps(course.title),
        "url": "",
        "grade": grade,
        "note": note,
        "id": result.id * 1000 + result.score_posts,
        "timecreated": stamp,
        "timemodified": stamp,
        "usermodified": WEB_SERVICE_USER,
        "actionuser": None,
        "description": f"The competency rating was manually set in the course '{course.title}'.",
        "gradename": comps.SCALE[grade - 1],
        "userdate": f"{now:%A}, {now.day} {now:%B %Y}, {now.hour % 12 or 12}:{now:%M %p}",
        "candelete": True,
    }


FUNCTIONS = {
    "core_competency_list_course_competencies": list_course_competencies,
    "core_competency_list_competency_frameworks": list_competency_frameworks,
    "core_competency_grade_competency_in_course": grade_competency_in_course,
}


def call(form: Mapping[str, str]) -> Any:
    """One web-service call: the token first (as Moodle checks it), then the function."""
    if not web_service_token_known(form.get("wstoken", "")):
        raise MoodleException("moodle_exception", "invalidtoken", "Invalid token - token not found")
    function = form.get("wsfunction", "")
    if function in NOT_IN_SERVICE:
        raise MoodleException(
            "webservice_access_exception", "accessexception", "Access control exception"
        )
    if function not in FUNCTIONS:
        raise _missing_record("external_functions")
    if form.get("moodlewsrestformat") != "json":
        raise _invalid_parameter("The sandbox answers moodlewsrestformat=json only")
    return FUNCTIONS[function](form)
