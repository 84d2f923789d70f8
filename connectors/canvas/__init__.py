"""Canvas: a course's outcomes through canvasapi (``outcomes``), the OAuth2 flow that gives a
faculty member's token (``oauth``, Authlib), and the REST calls of the outcome write-back
(``rubrics``). Callers use the names below as ``canvas.<name>``."""

from .common import UNREACHABLE
from .oauth import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    CanvasToken,
    authorization_url,
    exchange_code,
    refresh_token,
    revoke_token,
)
from .outcomes import CanvasClient, CourseOutcomes, Outcome, OutcomeGroup, plain_text
from .rubrics import RUBRIC_RATINGS, CanvasRest, assessment_form, rubric_form

__all__ = [
    "AUTHORIZE_PATH",
    "RUBRIC_RATINGS",
    "TOKEN_PATH",
    "UNREACHABLE",
    "CanvasClient",
    "CanvasRest",
    "CanvasToken",
    "CourseOutcomes",
    "Outcome",
    "OutcomeGroup",
    "assessment_form",
    "authorization_url",
    "exchange_code",
    "plain_text",
    "refresh_token",
    "revoke_token",
    "rubric_form",
]
