"""The OIDC third-party initiated login: the first of a launch's two requests. It remembers
state and nonce for the launch (``launch.py``) and sends the browser to the platform."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import make_response, render_template
from pylti1p3.contrib.flask import FlaskOIDCLogin
from pylti1p3.exception import LtiException
from sqlalchemy import Connection

from ..errors import LaunchError
from ..extensions import db
from .launch import RESTART_PARAMS, origin, services


@contextlib.contextmanager
def _statements_on_their_own() -> Iterator[Connection | None]:
    """On PostgreSQL, a connection whose statements each commit by themselves, for the login:
    it reads its registration and writes its state record, nothing else, and the record must be
    kept whatever follows. Outside the request's session, so the request opens no transaction:
    two round trips rather than four (no ``BEGIN``, no ``COMMIT``), about 0.1 ms of the tool's
    CPU per login (issue 16).

    ``None`` (the request's session, committed by the unit of work) on SQLite: there is no
    round trip to save, and SQLAlchemy sets SQLite's connection back from autocommit with a
    ``PRAGMA read_uncommitted``, which expires every statement the connection has prepared, so
    the requests after it would prepare theirs again (4 M more instructions a launch,
    ``benchmarks/instructions.py``)."""
    if db.engine.dialect.name != "postgresql":
        yield None
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def login(params: dict[str, str], launch_url: str) -> Any:
    """Answer a third-party initiated login: remember state and nonce, redirect to the platform."""
    for required in ("iss", "login_hint"):
        if not params.get(required):
            raise LaunchError(
                f"The login request has no {required!r} parameter.",
                reason=f"missing_{required}",
                hint="Start the tool from the LMS rather than from a bookmark.",
            )
    target = params.get("lti_storage_target") or ""
    remembered = {key: str(params.get(key) or "")[:2000] for key in RESTART_PARAMS}
    with _statements_on_their_own() as connection:
        request, conf, sessions, cookies = services(connection)
        oidc = FlaskOIDCLogin(request, conf, session_service=sessions, cookie_service=cookies)
        try:
            oidc.pass_params_to_launch(
                {**remembered, "iss": params["iss"], "storage_target": target[:200]}
            )
            if not target:
                return oidc.redirect(launch_url)
            auth_url = oidc.get_redirect_object(launch_url).get_redirect_url()
        except LtiException as exc:
            raise LaunchError(str(exc), reason="invalid_login") from exc
    query = parse_qs(urlsplit(auth_url).query)
    response = make_response(
        render_template(
            "lti/storage_login.html",
            auth_url=auth_url,
            target=target,
            origin=origin(conf.registration.auth_login_url if conf.registration else ""),
            state=query["state"][0],
            nonce=query["nonce"][0],
        )
    )
    cookies.update_response(response)  # the cookie still works where the browser allows it
    return response
