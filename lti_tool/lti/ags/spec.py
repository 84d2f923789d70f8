"""The names Assignment and Grade Services uses: scopes, media types, the outbox kind of a
score, and the marks of the gradebook columns Career Credit owns."""

from __future__ import annotations

from ...context import SCOPE_LINEITEM as SCOPE_LINEITEM
from ...context import SCOPE_SCORE as SCOPE_SCORE

KIND_SCORE = "ags.score"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"

# The marks of the columns Career Credit owns: set on every column it creates through AGS or
# places through Deep Linking, checked before every score it posts.
OWN_RESOURCE_ID = "career-credit"
OWN_TAG = "micro-internship-credit"
# How long a column read as the tool's own is trusted before it is read again.
OWNED_CHECK_TTL_S = 300.0
