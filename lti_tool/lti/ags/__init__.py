"""Assignment and Grade Services client: scores through the outbox, line items found or
created by ``resourceId``/``tag``, and the classification of a platform's answer.

Scores carry the award's own timestamp (every retry sends the same one, so a platform that
already stored it keeps one result) and Canvas's submission extension with
``new_submission: false`` (so retries add no submission attempts).

Career Credit posts scores only into gradebook columns it owns: the ones it created or placed
by Deep Linking, which carry its ``resourceId`` or ``tag``. Before the first score to a column
the sender reads the column and refuses any other (a quiz's column, say), whatever the queued
row names.

This package's public face is this module (``from lti_tool.lti import ags``; ``ags.enqueue_score``):
``spec`` holds the names, ``scores`` the outbox side, ``line_items`` the columns and
``answers`` the classification of what a platform answered.
"""

from __future__ import annotations

from .answers import classify, explain, retry_after_seconds
from .line_items import (
    LineItem,
    LineItemGoneError,
    find_line_items,
    find_or_create_line_item,
    get_line_item,
    owned,
    set_score_maximum,
)
from .scores import (
    Score,
    enqueue_score,
    enqueue_scores,
    enqueue_scores_from_select,
    forget_owned_columns,
    iso_timestamp,
    score_body,
    score_coalesce_key,
    scores_url,
    send_score,
)
from .spec import (
    CANVAS_SUBMISSION,
    KIND_SCORE,
    LINEITEM_MEDIA,
    LINEITEMS_MEDIA,
    OWN_RESOURCE_ID,
    OWN_TAG,
    OWNED_CHECK_TTL_S,
    SCOPE_LINEITEM,
    SCOPE_SCORE,
    SCORE_MEDIA,
)

__all__ = [
    "CANVAS_SUBMISSION",
    "KIND_SCORE",
    "LINEITEMS_MEDIA",
    "LINEITEM_MEDIA",
    "OWNED_CHECK_TTL_S",
    "OWN_RESOURCE_ID",
    "OWN_TAG",
    "SCOPE_LINEITEM",
    "SCOPE_SCORE",
    "SCORE_MEDIA",
    "LineItem",
    "LineItemGoneError",
    "Score",
    "classify",
    "enqueue_score",
    "enqueue_scores",
    "enqueue_scores_from_select",
    "explain",
    "find_line_items",
    "find_or_create_line_item",
    "forget_owned_columns",
    "get_line_item",
    "iso_timestamp",
    "owned",
    "retry_after_seconds",
    "score_body",
    "score_coalesce_key",
    "scores_url",
    "send_score",
    "set_score_maximum",
]
