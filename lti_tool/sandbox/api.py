"""Sandbox LMS JSON endpoints: key set, token, NRPS, AGS, fault injection, attempts report, and
Moodle's web-service endpoint (``webservice``). Errors are JSON with a message; bearer failures
carry ``WWW-Authenticate``; Moodle's errors are its own JSON, with HTTP 200."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue

from ..auth import public
from ..extensions import csrf, db
from .errors import ApiError
from .platform import platform_jwks
from .services import (
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    MEMBERSHIPS_TYPE,
    RESULTS_TYPE,
    SCORE_TYPE,
    attempts_report,
    create_line_item,
    delete_line_item,
    faults_json,
    find_course,
    find_line_item,
    list_line_items,
    list_results,
    look_up_score,
    memberships_page,
    post_score,
    read_line_item,
    set_faults,
    update_line_item,
)
from .tokens import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    authenticate,
    issue_token,
)
from .views import bp, current_info, http_timeout
from .webservice import SERVER_PATH, MoodleException, call


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError) -> ResponseReturnValue:
    db.session.rollback()
    response = current_app.response_class(
        current_app.json.dumps(exc.body()), status=exc.status, mimetype="application/json"
    )
    response.headers.update(exc.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(
    body: Any,
    media_type: str = "application/json",
    status: int = 200,
) -> ResponseReturnValue:
    response = current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=media_type
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer(*scopes: str) -> None:
    authenticate(request.headers.get("Authorization"), scopes)


def _body() -> Any:
    return request.get_json(force=True, silent=True)


@bp.get("/jwks")
@public
def jwks() -> ResponseReturnValue:
    response = _json(platform_jwks(current_info()))
    response.headers["Cache-Control"] = "public, max-age=300"  # type: ignore[union-attr]
    return response


@bp.post("/token")
@csrf.exempt
@public
def token() -> ResponseReturnValue:
    body = issue_token(current_info(), request.form.to_dict(), timeout=http_timeout())
    db.session.commit()
    return _json(body)


@bp.get("/api/courses/<course_key>/memberships")
@public
def memberships(course_key: str) -> ResponseReturnValue:
    _bearer(SCOPE_NRPS)
    body, next_url = memberships_page(
        current_info(), find_course(course_key), request.args, secret=str(current_app.secret_key)
    )
    response = _json(body, MEMBERSHIPS_TYPE)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'  # type: ignore[union-attr]
    return response


@bp.route("/api/courses/<course_key>/line_items", methods=["GET", "POST"])
@csrf.exempt
@public
def line_items(course_key: str) -> ResponseReturnValue:
    course = find_course(course_key)
    if request.method == "GET":
        _bearer(SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        return _json(list_line_items(current_info(), course, request.args), LINEITEMS_TYPE)
    _bearer(SCOPE_LINEITEM)
    body = create_line_item(current_info(), course, _body())
    db.session.commit()
    return _json(body, LINEITEM_TYPE, 201)


@bp.route("/api/courses/<course_key>/line_items/<int:item_id>", methods=["GET", "PUT", "DELETE"])
@csrf.exempt
@public
def line_item(course_key: str, item_id: int) -> ResponseReturnValue:
    if request.method == "GET":  # the token and the line item in one statement
        authorization = request.headers.get("Authorization")
        scopes = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        body = read_line_item(current_info(), authorization, scopes, course_key, item_id)
        return _json(body, LINEITEM_TYPE)
    _bearer(SCOPE_LINEITEM)
    item = find_line_item(find_course(course_key), item_id)
    if request.method == "PUT":
        body = update_line_item(current_info(), item, _body())
        db.session.commit()
        return _json(body, LINEITEM_TYPE)
    delete_line_item(item)
    db.session.commit()
    return "", 204


@bp.post("/api/courses/<course_key>/line_items/<int:item_id>/scores")
@csrf.exempt
@public
def scores(course_key: str, item_id: int) -> ResponseReturnValue:
    # The token, the line item and the student's result in one statement; a 401, then a
    # 415, then a 404.
    body = _body()
    found = look_up_score(request.headers.get("Authorization"), course_key, item_id, body)
    if request.mimetype not in (SCORE_TYPE, "application/json"):
        raise ApiError(415, f"Send scores as {SCORE_TYPE}.")
    outcome = post_score(current_info(), found.target(), body)
    db.session.commit()
    return _json(outcome.body, status=outcome.status)


@bp.get("/api/courses/<course_key>/line_items/<int:item_id>/results")
@public
def results(course_key: str, item_id: int) -> ResponseReturnValue:
    _bearer(SCOPE_RESULT_READONLY)
    item = find_line_item(find_course(course_key), item_id)
    return _json(list_results(current_info(), item, request.args.get("user_id")), RESULTS_TYPE)


@bp.get("/api/courses/<course_key>/attempts.json")
@public
def attempts(course_key: str) -> ResponseReturnValue:
    return _json(attempts_report(current_info(), find_course(course_key)))


@bp.route("/faults", methods=["GET", "POST"])
@csrf.exempt
@public
def faults() -> ResponseReturnValue:
    body = faults_json() if request.method == "GET" else set_faults(_body())
    db.session.commit()
    return _json(body)


@bp.post("/moodle" + SERVER_PATH)
@csrf.exempt
@public
def moodle_server() -> ResponseReturnValue:
    """Moodle's REST server: a web-service call, answered as Moodle answers (errors too)."""
    try:
        body = call(request.form)
        db.session.commit()
    except MoodleException as exc:
        db.session.rollback()
        body = exc.body
    return _json(body)
