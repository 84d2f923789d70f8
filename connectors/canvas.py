"""Canvas REST through canvasapi: a course's outcome groups and outcomes, and the OAuth2
authorization-code flow (Authlib) that gives a faculty member's token.

Canvas throttles with 429 (and, on older instances, 403 "Rate Limit Exceeded"); both back off
and retry. An expired token (401 with ``WWW-Authenticate``) is refreshed once through the
caller's ``refresh`` callback. Every other refusal becomes a ``CanvasError`` that says what to do.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nh3
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from canvasapi import Canvas
from canvasapi.course import Course
from canvasapi.exceptions import (
    CanvasException,
    Forbidden,
    InvalidAccessToken,
    RateLimitExceeded,
    ResourceDoesNotExist,
    Unauthorized,
)

from .errors import (
    CanvasAuthError,
    CanvasError,
    CanvasRateLimitError,
    failure_detail,
    log_unreachable,
)

T = TypeVar("T")

AUTHORIZE_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 - a URL path, not a secret
UNREACHABLE = "Career Credit could not reach Canvas at that address."


@dataclass(frozen=True)
class OutcomeGroup:
    id: int
    title: str
    description: str
    parent_id: int | None


@dataclass(frozen=True)
class Outcome:
    id: int
    title: str
    display_name: str
    description: str  # plain text (Canvas stores HTML)
    group_id: int
    vendor_guid: str
    mastery_points: float | None
    points_possible: float | None


@dataclass(frozen=True)
class CourseOutcomes:
    groups: tuple[OutcomeGroup, ...]
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class CanvasToken:
    access_token: str
    refresh_token: str | None
    expires_at: int | None  # unix seconds


def plain_text(value: Any) -> str:
    """Canvas HTML (outcome descriptions) as plain text."""
    if not isinstance(value, str) or not value:
        return ""
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


class CanvasClient:
    """A course's outcomes from one Canvas, as one person (their OAuth2 access token)."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        session: requests.Session | None = None,
        refresh: Callable[[], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self._session = session
        self._refresh = refresh
        self._sleep = sleep
        self._max_retries = max_retries
        self._backoff_s = backoff_s

    def _canvas(self) -> Canvas:
        canvas = Canvas(self.base_url, self._token)
        if self._session is not None:
            # the caller's session (the core's has a timeout on every call)
            canvas._Canvas__requester._session = self._session
        return canvas

    def _course(self, course_id: int | str) -> Course:
        requester = self._canvas()._Canvas__requester
        return Course(requester, {"id": course_id})

    def _call(self, what: str, fn: Callable[[Course], T], course_id: int | str) -> T:
        refreshed = False
        attempt = 0
        while True:
            try:
                return fn(self._course(course_id))
            except InvalidAccessToken as exc:
                if self._refresh is None or refreshed:
                    raise CanvasAuthError(
                        "Canvas no longer accepts your authorisation (it expired or was revoked).",
                        hint="Authorise Career Credit with Canvas again on the Course outcomes "
                        "page.",
                        reason="canvas_token",
                    ) from exc
                self._token = self._refresh()
                refreshed = True
            except (RateLimitExceeded, Forbidden) as exc:
                limited = (
                    isinstance(exc, RateLimitExceeded) or "rate limit exceeded" in str(exc).lower()
                )
                if not limited:
                    raise CanvasAuthError(
                        f"Canvas refused to let your account read {what} (403).",
                        hint="Check that you teach this course in Canvas and that the Canvas "
                        "developer key allows reading outcomes; then try again.",
                        reason="canvas_forbidden",
                    ) from exc
                if attempt >= self._max_retries:
                    raise CanvasRateLimitError(
                        f"Canvas kept limiting requests while Career Credit read {what}.",
                        hint="Wait a few minutes and try again.",
                        reason="canvas_rate_limited",
                    ) from exc
                self._sleep(self._backoff_s * 2**attempt)
                attempt += 1
            except Unauthorized as exc:
                raise CanvasAuthError(
                    f"Canvas did not let your account read {what} (401).",
                    hint="Ask your Canvas administrator whether your role may view outcomes in "
                    "this course.",
                    reason="canvas_unauthorized",
                ) from exc
            except ResourceDoesNotExist as exc:
                raise CanvasError(
                    f"Canvas at {_host(self.base_url)} has no course {course_id}.",
                    hint="Open Career Credit from the course in Canvas again; if the course was "
                    "copied, the link may point to the old one.",
                    reason="canvas_not_found",
                ) from exc
            except CanvasException as exc:
                raise CanvasError(
                    f"Canvas answered with an error while Career Credit read {what}.",
                    hint="Try again in a few minutes; if it keeps happening, tell your Canvas "
                    "administrator.",
                    reason="canvas_error",
                ) from exc
            except requests.RequestException as exc:
                log_unreachable("Canvas", self.base_url, failure_detail(exc))
                raise CanvasError(
                    UNREACHABLE,
                    hint="Check the Canvas address in Career Credit's administration, or try "
                    "again in a few minutes.",
                    reason="canvas_unreachable",
                ) from exc

    def course_outcomes(self, course_id: int | str) -> CourseOutcomes:
        """Every outcome group and outcome linked into a course (all pages)."""
        raw_groups = self._call(
            "the course's outcome groups",
            lambda course: [g.__dict__ for g in course.get_outcome_groups_in_context()],
            course_id,
        )
        raw_links = self._call(
            "the course's outcomes",
            lambda course: [
                link.__dict__
                for link in course.get_all_outcome_links_in_context(outcome_style="full")
            ],
            course_id,
        )
        groups = tuple(
            OutcomeGroup(
                id=int(g["id"]),
                title=str(g.get("title") or ""),
                description=plain_text(g.get("description")),
                parent_id=int(parent["id"])
                if isinstance(parent := g.get("parent_outcome_group"), dict) and "id" in parent
                else None,
            )
            for g in raw_groups
        )
        outcomes: dict[int, Outcome] = {}
        for link in raw_links:
            raw = link.get("outcome") or {}
            group = link.get("outcome_group") or {}
            if "id" not in raw or int(raw["id"]) in outcomes:
                continue  # an outcome linked twice into the course appears once
            outcomes[int(raw["id"])] = Outcome(
                id=int(raw["id"]),
                title=str(raw.get("title") or ""),
                display_name=str(raw.get("display_name") or ""),
                description=plain_text(raw.get("description")),
                group_id=int(group.get("id") or 0),
                vendor_guid=str(raw.get("vendor_guid") or ""),
                mastery_points=raw.get("mastery_points"),
                points_possible=raw.get("points_possible"),
            )
        return CourseOutcomes(groups, tuple(outcomes.values()))


# --- OAuth2 (authorization code) -----------------------------------------------------------------


def _oauth(
    client_id: str,
    client_secret: str | None,
    redirect_uri: str | None,
    timeout: float,
    session: requests.Session | None = None,
) -> OAuth2Session:
    client = OAuth2Session(
        client_id,
        client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
        default_timeout=timeout,
    )
    if session is not None:
        # the caller's transport (the core's guarded one: public addresses, pinned, no
        # redirects) carries the token calls too
        client.trust_env = session.trust_env
        for prefix, adapter in session.adapters.items():
            client.mount(prefix, adapter)
    return client


def _token(raw: dict[str, Any], previous_refresh: str | None = None) -> CanvasToken:
    expires_at = raw.get("expires_at")
    return CanvasToken(
        access_token=str(raw["access_token"]),
        # Canvas's refresh response carries no refresh token: the old one stays valid
        refresh_token=raw.get("refresh_token") or previous_refresh,
        expires_at=int(expires_at) if expires_at else None,
    )


def authorization_url(canvas_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Where to send the person to authorise Career Credit in Canvas."""
    url, _ = _oauth(client_id, None, redirect_uri, 10.0).create_authorization_url(
        canvas_url.rstrip("/") + AUTHORIZE_PATH, state=state
    )
    return str(url)


def _oauth_failure(exc: Exception, canvas_url: str, action: str) -> CanvasAuthError:
    if isinstance(exc, requests.RequestException):
        log_unreachable("Canvas", canvas_url, failure_detail(exc))
        return CanvasAuthError(
            UNREACHABLE,
            hint="Try again in a few minutes. If it keeps failing, ask your administrator to "
            "check the Canvas address set for Career Credit.",
            reason="canvas_unreachable",
        )
    detail = getattr(exc, "error", "") or type(exc).__name__
    return CanvasAuthError(
        f"Canvas at {_host(canvas_url)} refused to {action} ({detail}).",
        hint="Authorise Career Credit with Canvas again. If it keeps failing, ask your "
        "administrator to check the Canvas developer key set for Career Credit.",
        reason="canvas_oauth",
    )


def exchange_code(
    canvas_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    *,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> CanvasToken:
    """Trade the authorization code for tokens (through ``session``'s transport if given)."""
    client = _oauth(client_id, client_secret, redirect_uri, timeout, session)
    try:
        raw = client.fetch_token(
            canvas_url.rstrip("/") + TOKEN_PATH, code=code, grant_type="authorization_code"
        )
    except (OAuthError, requests.RequestException, KeyError, ValueError) as exc:
        raise _oauth_failure(exc, canvas_url, "issue a token") from exc
    return _token(dict(raw))


def refresh_token(
    canvas_url: str,
    client_id: str,
    client_secret: str,
    refresh: str,
    *,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> CanvasToken:
    """A new access token from the refresh token (which Canvas keeps valid)."""
    client = _oauth(client_id, client_secret, None, timeout, session)
    try:
        raw = client.refresh_token(canvas_url.rstrip("/") + TOKEN_PATH, refresh_token=refresh)
    except (OAuthError, requests.RequestException, KeyError, ValueError) as exc:
        raise _oauth_failure(exc, canvas_url, "renew the token") from exc
    return _token(dict(raw), previous_refresh=refresh)


def revoke_token(canvas_url: str, access_token: str, session: requests.Session) -> None:
    """Ask Canvas to delete the token; an already-invalid token counts as revoked."""
    try:
        resp = session.delete(
            canvas_url.rstrip("/") + TOKEN_PATH,
            headers={"Authorization": f"Bearer {access_token}"},
        )
    except requests.RequestException as exc:
        log_unreachable("Canvas", canvas_url, failure_detail(exc))
        raise CanvasError(
            UNREACHABLE,
            hint="Try again later; you can also remove Career Credit under Account > Settings "
            "> Approved Integrations in Canvas.",
            reason="canvas_unreachable",
        ) from exc
    if resp.status_code not in (200, 204, 401):
        raise CanvasError(
            f"Canvas answered {resp.status_code} when asked to revoke the token.",
            hint="Remove Career Credit under Account > Settings > Approved Integrations in Canvas.",
            reason="canvas_revoke",
        )


# --- plain REST for writes (rubrics and rubric assessments) --------------------------------------
#
# Writes go through the outbox, whose runner classifies each answer by its HTTP status (401,
# 429, 5xx, 403 "Rate Limit Exceeded" transient; other 4xx permanent), so these calls hand the
# response back instead of raising for it. Only a lapsed token is handled here: refreshed once.

RUBRIC_RATINGS = 4  # one rating per level of the four-level scale, highest first


class CanvasRest:
    """Canvas REST calls as one person, returning Canvas's answer as it came."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        session: requests.Session,
        *,
        refresh: Callable[[], str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self._session = session
        self._refresh = refresh

    @property
    def access_token(self) -> str:
        """The token in use (after any refresh)."""
        return self._token

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """One call (``path`` under the Canvas URL, or a full ``next`` URL); a 401 that says
        the token expired is refreshed once and repeated."""
        url = path if path.startswith("http") else self.base_url + path
        refreshed = False
        while True:
            try:
                resp = self._session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers={"Authorization": f"Bearer {self._token}"},
                )
            except requests.RequestException as exc:
                log_unreachable("Canvas", url, failure_detail(exc))
                raise CanvasError(
                    UNREACHABLE,
                    hint="Career Credit tries again shortly.",
                    reason="canvas_unreachable",
                ) from exc
            expired = resp.status_code == 401 and "WWW-Authenticate" in resp.headers
            if not expired or refreshed or self._refresh is None:
                return resp
            self._token = self._refresh()
            refreshed = True


def rubric_form(
    title: str,
    assignment_id: str,
    criteria: Sequence[tuple[str, int | None]],
    levels: Sequence[str],
) -> dict[str, str]:
    """The form of ``POST /api/v1/courses/:course_id/rubrics``: one criterion per outcome
    (``(title, learning_outcome_id)``), ratings worth 4..1 points, associated with the
    assignment for grading purposes but never used to compute its grade."""
    form: dict[str, str] = {
        "title": title,
        "rubric[title]": title,
        "rubric[free_form_criterion_comments]": "1",
        "rubric_association[association_type]": "Assignment",
        "rubric_association[association_id]": str(assignment_id),
        "rubric_association[purpose]": "grading",
        "rubric_association[use_for_grading]": "0",
        "rubric_association[hide_score_total]": "1",
    }
    top = len(levels)
    for n, (name, outcome_id) in enumerate(criteria):
        key = f"rubric[criteria][{n}]"
        form[f"{key}[description]"] = name[:255]
        form[f"{key}[points]"] = str(top)
        if outcome_id is not None:
            form[f"{key}[learning_outcome_id]"] = str(outcome_id)
        for r, level in enumerate(reversed(levels)):
            form[f"{key}[ratings][{r}][description]"] = level
            form[f"{key}[ratings][{r}][points]"] = str(top - r)
    return form


def assessment_form(
    user_id: str, points: Mapping[str, tuple[int, str]], *, final: bool = True
) -> dict[str, str]:
    """The form of ``POST .../rubric_associations/:id/rubric_assessments``: a grading
    assessment of the student's submission, points (and a comment) per criterion id."""
    form = {
        "rubric_assessment[user_id]": str(user_id),
        "rubric_assessment[assessment_type]": "grading",
        "final": "1" if final else "0",
    }
    for criterion_id, (value, comment) in points.items():
        form[f"rubric_assessment[{criterion_id}][points]"] = str(value)
        if comment:
            form[f"rubric_assessment[{criterion_id}][comments]"] = comment[:1000]
    return form
