"""A course's outcome groups and outcomes through canvasapi, as one person (their OAuth2
token). Canvas throttles with 429 (and, on older instances, 403 "Rate Limit Exceeded"); both
back off and retry. An expired token is refreshed once through the caller's ``refresh``
callback. Every other refusal becomes a ``CanvasError`` that says what to do."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import nh3
import requests
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

from ..errors import (
    CanvasAuthError,
    CanvasError,
    CanvasRateLimitError,
    failure_detail,
    log_unreachable,
)
from .common import UNREACHABLE, host

T = TypeVar("T")


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


def plain_text(value: Any) -> str:
    """Canvas HTML (outcome descriptions) as plain text."""
    if not isinstance(value, str) or not value:
        return ""
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())


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

    def _requester(self) -> Any:
        """canvasapi's HTTP layer for this Canvas (``Canvas()`` checks and normalises the
        address), on the caller's session when one was given (the core's has a timeout on every
        call).

        canvasapi 3.x has no public way to hand it a session, nor to reach a course without a
        GET for it, so this is the one place that reads its internals: ``Canvas.__requester``
        and ``Requester._session`` (canvasapi is pinned <4 in setup.cfg; the connector tests
        go through both)."""
        requester = Canvas(self.base_url, self._token)._Canvas__requester
        if self._session is not None:
            requester._session = self._session
        return requester

    def _course(self, course_id: int | str) -> Course:
        return Course(self._requester(), {"id": course_id})

    def _call(self, what: str, fn: Callable[[Course], T], course_id: int | str) -> T:
        """``fn`` on the course: an expired token refreshed once, throttling backed off and
        retried, every other refusal a ``CanvasError`` that says what to do."""
        refreshed = False
        attempt = 0
        while True:
            try:
                return fn(self._course(course_id))
            except InvalidAccessToken as exc:
                if self._refresh is None or refreshed:
                    raise _token_refused() from exc
                self._token = self._refresh()
                refreshed = True
            except (RateLimitExceeded, Forbidden) as exc:
                limited = (
                    isinstance(exc, RateLimitExceeded) or "rate limit exceeded" in str(exc).lower()
                )
                if not limited:
                    raise _forbidden(what) from exc
                if attempt >= self._max_retries:
                    raise _still_limited(what) from exc
                self._sleep(self._backoff_s * 2**attempt)
                attempt += 1
            except (CanvasException, requests.RequestException) as exc:
                raise self._refusal(exc, what, course_id) from exc

    def _refusal(self, exc: Exception, what: str, course_id: int | str) -> CanvasError:
        """What a refusal that no retry mends tells the person."""
        if isinstance(exc, Unauthorized):
            return CanvasAuthError(
                f"Canvas did not let your account read {what} (401).",
                hint="Ask your Canvas administrator whether your role may view outcomes in "
                "this course.",
                reason="canvas_unauthorized",
            )
        if isinstance(exc, ResourceDoesNotExist):
            return CanvasError(
                f"Canvas at {host(self.base_url)} has no course {course_id}.",
                hint="Open Career Credit from the course in Canvas again; if the course was "
                "copied, the link may point to the old one.",
                reason="canvas_not_found",
            )
        if isinstance(exc, CanvasException):
            return CanvasError(
                f"Canvas answered with an error while Career Credit read {what}.",
                hint="Try again in a few minutes; if it keeps happening, tell your Canvas "
                "administrator.",
                reason="canvas_error",
            )
        log_unreachable("Canvas", self.base_url, failure_detail(exc))
        return CanvasError(
            UNREACHABLE,
            hint="Check the Canvas address in Career Credit's administration, or try "
            "again in a few minutes.",
            reason="canvas_unreachable",
        )

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


def _token_refused() -> CanvasAuthError:
    return CanvasAuthError(
        "Canvas no longer accepts your authorization (it expired or was revoked).",
        hint="Authorize Career Credit with Canvas again on the Course outcomes page.",
        reason="canvas_token",
    )


def _forbidden(what: str) -> CanvasAuthError:
    return CanvasAuthError(
        f"Canvas refused to let your account read {what} (403).",
        hint="Check that you teach this course in Canvas and that the Canvas developer key "
        "allows reading outcomes; then try again.",
        reason="canvas_forbidden",
    )


def _still_limited(what: str) -> CanvasRateLimitError:
    return CanvasRateLimitError(
        f"Canvas kept limiting requests while Career Credit read {what}.",
        hint="Wait a few minutes and try again.",
        reason="canvas_rate_limited",
    )
