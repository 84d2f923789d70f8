"""Moodle web services (REST protocol): competency frameworks and a course's competencies.

``POST {site}/webservice/rest/server.php`` with ``wstoken``, ``wsfunction`` and
``moodlewsrestformat=json``; arrays and objects go as ``name[0][key]``. Moodle reports errors as
``{"exception", "errorcode", "message"}`` — often with HTTP 200 — so every answer is checked for
that shape.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3
import requests

from .errors import MoodleError, failure_detail, log_unreachable

SERVER_PATH = "/webservice/rest/server.php"
UNREACHABLE = "Career Credit could not reach Moodle's web services at that address."

_ERRORCODE = re.compile(r"[a-z0-9_]{1,64}")
# What Moodle's common error codes mean, in the tool's words.
CODES = {
    "invalidtoken": "the web-service token is not valid",
    "accessexception": "the token may not call this function (access control exception)",
    "servicenotavailable": "the external service is not available",
    "webservicesnotenabled": "web services are not enabled",
    "invalidrecord": "the course or record was not found",
    "nopermissions": "the token's user lacks a permission",
    "invalidparameter": "a parameter was refused",
    "codingerror": "the competency is not in this course or the student is not enrolled in it",
}
HINTS = {
    "invalidtoken": "Ask your Moodle administrator for a new web-service token and set it in "
    "Career Credit's administration (Connections).",
    "accessexception": "Ask your Moodle administrator to add this function to the external "
    "service the token belongs to, and to allow the token's user to use it.",
    "servicenotavailable": "Ask your Moodle administrator to enable the external service the "
    "token belongs to.",
    "webservicesnotenabled": "Ask your Moodle administrator to enable web services and the REST "
    "protocol.",
    "invalidrecord": "Open Career Credit from the course in Moodle again.",
    "nopermissions": "Ask your Moodle administrator to give the token's user the competency "
    "capabilities in this course.",
}


@dataclass(frozen=True)
class CompetencyFramework:
    id: int
    shortname: str
    idnumber: str
    description: str
    visible: bool
    competencies_count: int | None


@dataclass(frozen=True)
class CourseCompetency:
    id: int  # the competency's id
    shortname: str
    idnumber: str
    description: str
    framework_id: int
    parent_id: int | None
    sort_order: int


def plain_text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Moodle's form encoding: ``{"a": {"b": [1]}}`` → ``{"a[b][0]": "1"}``."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name))
        elif isinstance(value, list | tuple):
            out.update(flatten({str(i): v for i, v in enumerate(value)}, name))
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        elif value is not None:
            out[name] = str(value)
    return out


class MoodleClient:
    """One Moodle site through a web-service token."""

    def __init__(self, base_url: str, token: str, session: requests.Session) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._session = session

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def call(self, function: str, **params: Any) -> Any:
        """Call a web-service function; Moodle's error body becomes a MoodleError."""
        data = {
            "wstoken": self._token,
            "wsfunction": function,
            "moodlewsrestformat": "json",
            **flatten(params),
        }
        url = self.base_url + SERVER_PATH
        try:
            resp = self._session.post(url, data=data)
        except requests.RequestException as exc:
            log_unreachable("Moodle", url, failure_detail(exc))
            raise MoodleError(
                UNREACHABLE,
                hint="Check the Moodle address in Career Credit's administration, or try again "
                "in a few minutes.",
                errorcode="unreachable",
            ) from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "exception" in body:
            # Moodle's error code (an identifier of its own vocabulary), never its message:
            # a person sees the tool's words about a known code, not a remote body.
            raw = str(body.get("errorcode") or "")
            code = raw if _ERRORCODE.fullmatch(raw) else "unknown"
            raise MoodleError(
                f"Moodle refused {function}: {CODES.get(code, 'see the error code')} ({code}).",
                hint=HINTS.get(code, "Tell your Moodle administrator the error code."),
                errorcode=code,
            )
        if resp.status_code != 200 or body is None:
            # the status stays in the log and in ``errorcode`` (the outbox retries a 429); the
            # page and the reason say only that no web-service answer came
            log_unreachable("Moodle", url, f"answered {resp.status_code}, no web-service answer")
            raise MoodleError(
                UNREACHABLE,
                hint="Check the Moodle address in Career Credit's administration, and that the "
                "REST protocol is enabled.",
                errorcode=f"http_{resp.status_code}",
                reason="moodle_unreachable",
            )
        return body

    def competency_frameworks(self) -> list[CompetencyFramework]:
        """The site's visible competency frameworks (system context and below)."""
        rows = self.call(
            "core_competency_list_competency_frameworks",
            sort="shortname",
            order="ASC",
            skip=0,
            limit=0,
            context={"contextlevel": "system", "instanceid": 0},
            includes="children",
            onlyvisible=True,
        )
        return [
            CompetencyFramework(
                id=int(r["id"]),
                shortname=str(r.get("shortname") or ""),
                idnumber=str(r.get("idnumber") or ""),
                description=plain_text(r.get("description")),
                visible=bool(r.get("visible", True)),
                competencies_count=r.get("competenciescount"),
            )
            for r in rows
        ]

    def course_competencies(self, course_id: int) -> list[CourseCompetency]:
        """The competencies linked to a course, in the course's order."""
        rows = self.call("core_competency_list_course_competencies", id=int(course_id))
        out = []
        for r in rows:
            comp, link = r.get("competency") or {}, r.get("coursecompetency") or {}
            parent = int(comp.get("parentid") or 0)
            out.append(
                CourseCompetency(
                    id=int(comp["id"]),
                    shortname=str(comp.get("shortname") or ""),
                    idnumber=str(comp.get("idnumber") or ""),
                    description=plain_text(comp.get("description")),
                    framework_id=int(comp.get("competencyframeworkid") or 0),
                    parent_id=parent or None,
                    sort_order=int(link.get("sortorder") or 0),
                )
            )
        return sorted(out, key=lambda c: c.sort_order)


def grade_competency_in_course(
    client: MoodleClient, course_id: int, user_id: int, competency_id: int, grade: int, note: str
) -> Any:
    """Rate a student's competency in a course
    (``core_competency_grade_competency_in_course``); Moodle records it as evidence with the
    note."""
    return client.call(
        "core_competency_grade_competency_in_course",
        courseid=int(course_id),
        userid=int(user_id),
        competencyid=int(competency_id),
        grade=int(grade),
        note=note[:1000],
    )
