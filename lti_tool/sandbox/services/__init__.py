"""What the sandbox LMS does behind its service endpoints: Assignment and Grade Services (line
items, scores, results, as strict as Canvas), Names and Role Provisioning (paged, with
case-sensitive page URLs), fault injection, and the gradebook.

One module per service: ``line_items``, ``scores``, ``results``, ``memberships``, ``faults``
and ``gradebook``; this package names what the API, the pages and the tests use."""

from __future__ import annotations

from .common import (
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    MEMBERSHIPS_TYPE,
    RESULTS_TYPE,
    SCORE_TYPE,
    find_course,
)
from .faults import faults_json, set_faults
from .gradebook import Gradebook, add_assignment, gradebook, placed_links
from .line_items import (
    create_line_item,
    delete_line_item,
    find_line_item,
    line_item_json,
    list_line_items,
    read_line_item,
    update_line_item,
)
from .memberships import memberships_page
from .results import attempts_report, list_results
from .scores import (
    ScoreLookup,
    ScoreOutcome,
    ScoreTarget,
    look_up_score,
    post_score,
    score_target,
    take_score_fault,
)

__all__ = [
    "LINEITEMS_TYPE",
    "LINEITEM_TYPE",
    "MEMBERSHIPS_TYPE",
    "RESULTS_TYPE",
    "SCORE_TYPE",
    "Gradebook",
    "ScoreLookup",
    "ScoreOutcome",
    "ScoreTarget",
    "add_assignment",
    "attempts_report",
    "create_line_item",
    "delete_line_item",
    "faults_json",
    "find_course",
    "find_line_item",
    "gradebook",
    "line_item_json",
    "list_line_items",
    "list_results",
    "look_up_score",
    "memberships_page",
    "placed_links",
    "post_score",
    "read_line_item",
    "score_target",
    "set_faults",
    "take_score_fault",
    "update_line_item",
]
