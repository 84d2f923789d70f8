"""The outbox senders for outcome write-back, with the same guarantees as grades.

Delivery is at least once; the effect is exactly once because both writes are idempotent in
the LMS: Canvas keeps one grading assessment per student, association and assessor (a repeat
replaces it with the same points), and Moodle's course rating of a competency is a value a
repeat sets again. Canvas's answers are classified as AGS answers are (401 after a refresh,
429, 5xx and 403 "Rate Limit Exceeded" retry, honouring Retry-After; other 4xx fail with
Canvas's words); Moodle's ``errorcode`` decides (unreachable or HTTP 5xx/429 retry, the rest
fail with Moodle's message). A failed row is shown with its message and can be retried.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from sqlalchemy import select

from accreditation.frameworks.canvas_auth import fresh_token, renew_token
from accreditation.frameworks.lms import lms_identifier
from accreditation.frameworks.models import CanvasAuthorization
from connectors import canvas, moodle
from connectors.errors import CanvasAuthError, MoodleError
from lti_tool import netguard
from lti_tool.admin.services.connections import credentials_for
from lti_tool.extensions import db
from lti_tool.jobs import FAILED, RETRY, SENT, Message, Outcome
from lti_tool.lti import ags, services_client
from lti_tool.models import Registration, utcnow

from .models import CanvasRubricLink

log = logging.getLogger("career_credit.writeback")

RUBRIC_TITLE = "Career Credit: course outcomes"
LEVELS = ("Emerging Knowledge", "Understanding", "Early Application", "Advanced Application")
_TRANSIENT_MOODLE = ("unreachable", "http_429")


class _Answer(Exception):
    """A Canvas answer that ends the send (classified into an Outcome)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def _session() -> requests.Session:
    # the core's guarded session: a timeout on every call, the admin-set LMS address only on a
    # public, pinned address, no redirects
    return netguard.session()


def _checked(resp: requests.Response, what: str) -> Any:
    outcome = ags.classify(resp.status_code, resp.headers, resp.text)
    if outcome.result != SENT:
        message = f"Canvas refused to {what}: {outcome.message}"
        raise _Answer(Outcome(outcome.result, outcome.http_status, message, outcome.retry_after_s))
    try:
        return resp.json()
    except ValueError:
        return {}


# --- Canvas --------------------------------------------------------------------------------------


def _canvas_rest(msg: Message, reg: Registration, session: requests.Session) -> canvas.CanvasRest:
    """REST as the faculty member who rated (their stored authorisation, refreshed first when
    it is about to lapse)."""
    auth = db.session.scalar(
        select(CanvasAuthorization).where(
            CanvasAuthorization.registration_id == reg.id,
            CanvasAuthorization.user_id == int(msg.payload["rater_user_id"]),
        )
    )
    if auth is None:
        raise _Answer(
            Outcome(
                FAILED,
                message="The instructor who rated has not authorized Career Credit in Canvas "
                "(Course outcomes page); authorize, then retry.",
            )
        )
    creds = credentials_for(reg.id)

    def refresh() -> str:
        if not auth.refresh_token or creds is None or not creds.canvas_oauth_client_id:
            raise CanvasAuthError(
                "Canvas no longer accepts the instructor's authorization.",
                reason="canvas_token",
            )
        access_token = renew_token(auth, creds)
        db.session.commit()  # the new token is kept whatever Canvas answers next
        return access_token

    return canvas.CanvasRest(auth.canvas_url, fresh_token(auth, refresh), session, refresh=refresh)


def _assignment_id(rest: canvas.CanvasRest, reg: Registration, payload: dict[str, Any]) -> str:
    """The Canvas assignment behind the credit line item: found by the line item's label among
    the course's external-tool assignments, preferring the one with its resource link."""
    resp = services_client.request(
        reg, "GET", payload["lineitem"], (ags.SCOPE_LINEITEM,), ags.LINEITEM_MEDIA
    )
    item = _checked(resp, "show the credit column")
    label = str(item.get("label") or "")
    link_id = str(item.get("resourceLinkId") or "")
    found = _checked(
        rest.request(
            "GET",
            f"/api/v1/courses/{payload['canvas_course_id']}/assignments",
            params={"search_term": label, "per_page": "100"},
        ),
        "list the course's assignments",
    )
    tools = [a for a in found if "external_tool" in (a.get("submission_types") or [])]
    by_link = [
        a
        for a in tools
        if link_id
        and (a.get("external_tool_tag_attributes") or {}).get("resource_link_id") == link_id
    ]
    named = [a for a in tools if a.get("name") == label]
    chosen = by_link or named
    if not chosen:
        raise _Answer(
            Outcome(
                FAILED,
                message=f"Canvas has no external-tool assignment named “{label}” in course "
                f"{payload['canvas_course_id']} for the credit column.",
            )
        )
    return str(chosen[0]["id"])


def _find_rubric(rest: canvas.CanvasRest, canvas_course: str, assignment: str) -> Any:
    """Career Credit's rubric already associated with the assignment (created by a send that
    crashed before keeping its ids), as Canvas's create answer would have it; None if none."""
    listed = _checked(
        rest.request("GET", f"/api/v1/courses/{canvas_course}/rubrics", params={"per_page": "100"}),
        "list the course's rubrics",
    )
    for rubric in listed if isinstance(listed, list) else []:
        if rubric.get("title") != RUBRIC_TITLE:
            continue
        full = _checked(
            rest.request(
                "GET",
                f"/api/v1/courses/{canvas_course}/rubrics/{rubric['id']}",
                params={"include[]": "associations", "style": "full"},
            ),
            "show the outcomes rubric",
        )
        for association in full.get("associations") or []:
            if association.get("association_type") == "Assignment" and (
                str(association.get("association_id")) == assignment
            ):
                return {"rubric": full, "rubric_association": association}
    return None


def _keep(
    link: CanvasRubricLink, answer: Any, by_ident: dict[str, canvas.Outcome]
) -> CanvasRubricLink:
    """Store the rubric's and association's ids and the criterion of each outcome; commits
    (before assessing: a retry must never create a second rubric)."""
    rubric, association = answer.get("rubric") or {}, answer.get("rubric_association") or {}
    by_outcome = {
        str(c.get("learning_outcome_id")): str(c["id"])
        for c in rubric.get("data") or []
        if "id" in c and c.get("learning_outcome_id") is not None
    }
    link.rubric_id = str(rubric.get("id"))
    link.association_id = str(association.get("id"))
    link.criteria = {
        ident: by_outcome[str(o.id)] for ident, o in by_ident.items() if str(o.id) in by_outcome
    }
    link.updated_at = utcnow()
    db.session.commit()
    return link


def _ensure_rubric(
    rest: canvas.CanvasRest, reg: Registration, msg: Message, session: requests.Session
) -> CanvasRubricLink:
    """The course's rubric: kept in the database, else found in Canvas, else created once
    with one criterion per rated Canvas course outcome (aligned through
    ``learning_outcome_id``), associated with the credit assignment for grading purposes but
    not used for grading. An outcome rated for the first time is added to it (PUT)."""
    payload = msg.payload
    link = db.session.scalar(
        select(CanvasRubricLink).where(
            CanvasRubricLink.tenant_id == msg.tenant_id,
            CanvasRubricLink.course_id == int(payload["course_id"]),
        )
    )
    wanted = {c["item"] for c in payload["criteria"]}
    if link is not None and wanted <= set(link.criteria):
        return link
    canvas_course = str(payload["canvas_course_id"])
    # canvasapi's own backoff would hold the sender: let the outbox retry instead
    client = canvas.CanvasClient(rest.base_url, rest.access_token, session=session, max_retries=0)
    outcomes = client.course_outcomes(int(canvas_course)).outcomes
    by_ident = {lms_identifier(rest.base_url, "outcome", str(o.id)): o for o in outcomes}
    if link is None:
        link = CanvasRubricLink(
            tenant_id=msg.tenant_id,
            course_id=int(payload["course_id"]),
            canvas_course_id=canvas_course,
            assignment_id=_assignment_id(rest, reg, payload),
            rubric_id="",
            association_id="",
            criteria={},
        )
        found = _find_rubric(rest, canvas_course, link.assignment_id)
        if found is not None:
            db.session.add(link)
            _keep(link, found, by_ident)
            if wanted <= set(link.criteria):
                return link
    return _write_rubric(rest, link, payload, wanted, by_ident)


def _write_rubric(
    rest: canvas.CanvasRest,
    link: CanvasRubricLink,
    payload: dict[str, Any],
    wanted: set[str],
    by_ident: dict[str, Any],
) -> CanvasRubricLink:
    """Create the rubric with the kept and newly rated outcomes, or add the new ones to it
    (PUT); keep what Canvas answered."""
    canvas_course = str(payload["canvas_course_id"])
    kept = [i for i in link.criteria if i in by_ident]
    chosen = kept + sorted(i for i in wanted if i in by_ident and i not in kept)
    if not chosen:
        raise _Answer(
            Outcome(
                FAILED,
                message="None of the rated outcomes is among the Canvas course's outcomes any "
                "more; read the course outcomes again.",
            )
        )
    names = {c["item"]: c["name"] for c in payload["criteria"]}
    form = canvas.rubric_form(
        RUBRIC_TITLE,
        link.assignment_id,
        [(names.get(i) or by_ident[i].title, by_ident[i].id) for i in chosen],
        LEVELS,
    )
    if link.rubric_id:
        form["rubric_association_id"] = link.association_id
        method, path, what = "PUT", f"rubrics/{link.rubric_id}", "add outcomes to the rubric"
    else:
        method, path, what = "POST", "rubrics", "create the outcomes rubric"
    answer = _checked(
        rest.request(method, f"/api/v1/courses/{canvas_course}/{path}", data=form), what
    )
    if link.id is None:
        db.session.add(link)
    return _keep(link, answer, by_ident)


def send_rubric_assessment(msg: Message, reg: Registration | None) -> Outcome:
    """Assess the student's submission for the credit assignment with the outcomes rubric."""
    if reg is None:
        return Outcome(FAILED, message="The platform registration was removed.")
    session = _session()
    try:
        rest = _canvas_rest(msg, reg, session)
        link = _ensure_rubric(rest, reg, msg, session)
        points = {
            link.criteria[c["item"]]: (int(c["level"]), str(c.get("comment") or ""))
            for c in msg.payload["criteria"]
            if c["item"] in link.criteria
        }
        resp = rest.request(
            "POST",
            f"/api/v1/courses/{link.canvas_course_id}/rubric_associations/"
            f"{link.association_id}/rubric_assessments",
            data=canvas.assessment_form(msg.payload["canvas_user_id"], points),
        )
        _checked(resp, "record the rubric assessment")
        return Outcome(SENT, resp.status_code)
    except _Answer as answer:
        db.session.rollback()
        return answer.outcome
    except CanvasAuthError as exc:
        db.session.rollback()
        return Outcome(FAILED, 401, exc.message)


# --- Moodle --------------------------------------------------------------------------------------


def send_grade_competency(msg: Message, reg: Registration | None) -> Outcome:
    """Rate the student's competency in the Moodle course, with a note naming the engagement."""
    if reg is None:
        return Outcome(FAILED, message="The platform registration was removed.")
    creds = credentials_for(reg.id)
    if creds is None or not creds.moodle_url or not creds.moodle_ws_token:
        return Outcome(
            FAILED,
            message="Career Credit has no Moodle web-service token for this platform "
            "(Administration > Connections); add one, then retry.",
        )
    payload = msg.payload
    client = moodle.MoodleClient(creds.moodle_url, creds.moodle_ws_token, _session())
    try:
        comps = client.course_competencies(int(payload["moodle_course_id"]))
        by_ident = {lms_identifier(client.base_url, "competency", str(c.id)): c for c in comps}
        comp = by_ident.get(payload["item"])
        if comp is None:
            return Outcome(
                FAILED,
                message=f"The competency “{payload['name']}” is no longer linked to the Moodle "
                "course; read the course competencies again.",
            )
        moodle.grade_competency_in_course(
            client,
            int(payload["moodle_course_id"]),
            int(payload["user_id"]),
            comp.id,
            int(payload["grade"]),
            str(payload["note"]),
        )
    except MoodleError as exc:
        code = exc.errorcode
        transient = code in _TRANSIENT_MOODLE or code.startswith("http_5")
        status = int(code[5:]) if code.startswith("http_") and code[5:].isdigit() else None
        return Outcome(RETRY if transient else FAILED, status, exc.message)
    return Outcome(SENT, 200)
