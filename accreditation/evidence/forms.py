"""The rating forms: CSRF through ``LaunchForm``; the ratings themselves are one radio group
per outcome (``level-<item id>``, ``comment-<item id>``), read by ``ratings_from``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lti_tool.forms import LaunchForm

from .ratings import Rating

NOT_APPLICABLE = "na"


class RatingForm(LaunchForm):
    """A rubric or self-assessment (the rows are rendered from the sheet)."""


def ratings_from(form: Mapping[str, Any], item_ids: Iterable[int]) -> dict[int, Rating]:
    """The ratings posted for the sheet's items; an item left unrated is absent."""
    out: dict[int, Rating] = {}
    for item_id in item_ids:
        value = str(form.get(f"level-{item_id}", ""))
        comment = str(form.get(f"comment-{item_id}", ""))[:2000]
        if value == NOT_APPLICABLE:
            out[item_id] = Rating(None, comment)
        elif value.isdigit():
            out[item_id] = Rating(int(value), comment)
    return out
