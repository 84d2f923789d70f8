"""Canvas REST as one person for the outcome write-back: rubrics and their assessments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import requests

from ..errors import CanvasError, failure_detail, log_unreachable
from .common import UNREACHABLE

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
