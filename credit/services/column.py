"""The course's credit column in the LMS gradebook (``misposted`` repairs grades an earlier
version sent elsewhere).

Credit grades go only to a column Career Credit owns: the "Micro-internship credit" item
placed by Deep Linking, or the column it created through AGS — both carry its ``resourceId``
and ``tag``. A launch's own line item (the link it came from) is never taken on trust: the
column is read from the LMS and chosen only when it carries those marks. The chosen column is
remembered on the course's policy and read again before each decision; when it was deleted
from the gradebook, a new one is created and the instructor is told. The column's maximum
follows the course's grading (1 for pass/fail, not "out of 100" as Deep Linking places it)
while no current grade in it was given out of another maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from lti_tool.context import LaunchContext
from lti_tool.errors import ConnectorError, ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.lti import ags
from lti_tool.lti.deep_linking import CREDIT_SCORE_MAXIMUM
from lti_tool.models import ResourceLink
from lti_tool.services import audit
from lti_tool.unit_of_work import end_reads

from ..models import CreditAward, CreditPolicy
from .policy import get_policy

LINE_ITEM_LABEL = "Micro-internship credit"
# Columns read one by one when the platform offers no line item container (at most).
_MAX_CANDIDATES = 10


@dataclass(frozen=True)
class PlannedColumn:
    """Where the next credit grade goes, as far as the tool knows without asking the LMS."""

    label: str
    score_maximum: float | None
    known: bool  # read from the LMS before; False: found or created with the first award
    others: int  # more columns with the tool's marks (the credit item placed more than once)


def planned_column(policy: CreditPolicy) -> PlannedColumn:
    """The column the review page names before the award button."""
    if policy.lineitem_url:
        return PlannedColumn(
            policy.lineitem_label or LINE_ITEM_LABEL,
            policy.lineitem_maximum,
            True,
            policy.lineitem_others,
        )
    return PlannedColumn(LINE_ITEM_LABEL, None, False, 0)


@dataclass(frozen=True)
class ResolvedColumn:
    url: str
    label: str
    score_maximum: float
    news: tuple[str, ...]  # what the instructor should hear (a column created or replaced)


def _require_course(ctx: LaunchContext) -> int:
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors can decide on credit.")
    return ctx.course_id


def _launch_candidates(ctx: LaunchContext, course_id: int) -> list[str]:
    """Line items the course's launches named: the current launch's, then each link's."""
    urls = [ctx.ags_lineitem_url] if ctx.ags_lineitem_url else []
    urls += db.session.scalars(
        select(ResourceLink.lineitem_url)
        .where(
            ResourceLink.tenant_id == ctx.tenant_id,
            ResourceLink.course_id == course_id,
            ResourceLink.lineitem_url.is_not(None),
        )
        .order_by(ResourceLink.id)
        .limit(_MAX_CANDIDATES)
    )
    return list(dict.fromkeys(u for u in urls if u))[:_MAX_CANDIDATES]


def _owned_columns(registration_id: int, container: str | None, candidates: list[str]) -> list:
    """The tool's own columns in the course, first placed first."""
    if container:
        found = ags.find_line_items(registration_id, container, resource_id=ags.OWN_RESOURCE_ID)
        return found or ags.find_line_items(registration_id, container, tag=ags.OWN_TAG)
    owned = []
    for url in candidates:
        try:
            item = ags.get_line_item(registration_id, url)
        except ags.LineItemGoneError:
            continue
        if ags.owned(item):
            owned.append(item)
    return owned


_NO_COLUMN = (
    "Career Credit has no gradebook column of its own in this course, and the LMS did not let "
    "it create one."
)
_NO_COLUMN_HINT = (
    "Add the 'Micro-internship credit' item through the LMS's external-tool picker (Deep "
    "Linking), or ask your LMS administrator to enable Assignment and Grade Services for "
    "Career Credit."
)


@dataclass(frozen=True)
class _Known:
    """What the course's policy and launch say of its column, read before the transaction
    ends."""

    remembered: str | None
    old_label: str
    container: str | None
    may_create: bool
    maximum: float
    others: int
    # What the stored policy remembers of its column (None: no policy stored): a column found
    # as it is remembered is not written again
    stored: tuple[Any, ...] | None = None


def resolve_column(ctx: LaunchContext, policy: CreditPolicy | None = None) -> ResolvedColumn:
    """The column credit goes to, checked against the LMS: the remembered one while it is
    still there and still the tool's; else the first of the tool's own columns; else a new one
    created through AGS. Call first in a request: it ends the request's transaction before it
    waits on the LMS (nothing of it is kept), then remembers the column on the policy (flush
    only: the caller's commit keeps it with the decision, a refusal's rollback drops it).
    ``policy``: the course's policy as the caller read it in this transaction (not read
    again)."""
    course_id = _require_course(ctx)
    known = _known(ctx, course_id, policy)
    # the launches' line items are looked through only without a container to search
    candidates = [] if known.container else _launch_candidates(ctx, course_id)
    if not known.remembered and not known.container and not candidates:
        raise PolicyViolationError(_NO_COLUMN, hint=_NO_COLUMN_HINT)
    end_reads()  # no transaction waits on the network (a refusal writes nothing)
    try:
        item, others, news = _find_column(ctx, known, candidates)
    except ConnectorError as exc:
        if isinstance(exc, PolicyViolationError):
            raise
        raise ConnectorError(
            f"The LMS did not answer when Career Credit looked for its gradebook column: "
            f"{exc.message} Nothing was saved.",
            hint="Try again in a minute.",
        ) from exc
    if known.stored != _remembered(ctx, item, others, known.container):
        _remember(ctx, course_id, item, others, known.container, replaced=known.remembered)
    return ResolvedColumn(item.id, item.label, item.score_maximum, tuple(news))


def _remembered(
    ctx: LaunchContext, item: ags.LineItem, others: int, container: str | None
) -> tuple[Any, ...]:
    """What ``_remember`` writes on the policy, as ``_Known.stored`` holds it."""
    fields = (item.id, item.label[:500], item.score_maximum, container, ctx.registration_id)
    return (*fields, others)


def _known(ctx: LaunchContext, course_id: int, policy: CreditPolicy | None) -> _Known:
    if policy is None or policy.id is None:  # not read in this transaction, or not stored
        policy = db.session.scalar(
            select(CreditPolicy).where(
                CreditPolicy.tenant_id == ctx.tenant_id, CreditPolicy.course_id == course_id
            )
        )
    stored = None
    if policy is not None:
        stored = (
            policy.lineitem_url,
            policy.lineitem_label,
            policy.lineitem_maximum,
            policy.lineitems_url,
            policy.lineitem_registration_id,
            policy.lineitem_others,
        )
    return _Known(
        remembered=policy.lineitem_url if policy else None,
        old_label=(policy.lineitem_label if policy else "") or LINE_ITEM_LABEL,
        container=ctx.ags_lineitems_url or (policy.lineitems_url if policy else None),
        may_create=bool(ctx.ags_lineitems_url) and ags.SCOPE_LINEITEM in ctx.ags_scopes,
        maximum=policy.score_maximum if policy else float(CREDIT_SCORE_MAXIMUM),
        others=policy.lineitem_others if policy else 0,
        stored=stored,
    )


def _graded_otherwise(tenant_id: int, course_id: int, maximum: float) -> frozenset[str]:
    """The course's columns with a current final grade out of a maximum other than the
    policy's ``maximum`` (a course that changed its grading): refitting them would misstate
    those. Read only when a column's maximum differs from the policy's (rarely: not before
    each award), after the LMS answered."""
    return frozenset(
        url
        for url in db.session.scalars(
            select(CreditAward.lineitem_url)
            .where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id == course_id,
                CreditAward.status == "final",
                CreditAward.superseded_at.is_(None),
                CreditAward.score_maximum != maximum,
                CreditAward.lineitem_url.is_not(None),
            )
            .distinct()
        )
        if url
    )


def _fitted(ctx: LaunchContext, known: _Known, item: ags.LineItem, news: list[str]) -> ags.LineItem:
    """The tool's own column with the maximum the course grades out of (1 for pass/fail),
    changed in the LMS when it differs and no current grade in it says otherwise. A platform
    that refuses the change keeps the column as it is: the grade still lands, scaled."""
    if item.score_maximum == known.maximum:
        return item
    course_id = _require_course(ctx)
    # a course without a stored policy has given no grade: none was given out of another maximum
    if known.stored is not None and item.id in _graded_otherwise(
        ctx.tenant_id, course_id, known.maximum
    ):
        return item
    try:
        fitted = ags.set_score_maximum(ctx.registration_id, item, known.maximum)
    except ags.LineItemGoneError:
        raise
    except ConnectorError:
        return item
    grading = "pass/fail (out of 1)" if known.maximum == 1 else f"out of {known.maximum:g}"
    news.append(
        f"The credit column '{fitted.label}' now grades {grading}, as this course's credit "
        "policy does."
    )
    return fitted


def _find_column(
    ctx: LaunchContext, known: _Known, candidates: list[str]
) -> tuple[ags.LineItem, int, list[str]]:
    """The remembered column while the LMS still has it as the tool's; else one of the tool's
    own or a new one. With the other own columns' count and what the instructor should hear."""
    gone = False
    item = None
    if known.remembered:
        try:
            item = ags.get_line_item(ctx.registration_id, known.remembered)
        except ags.LineItemGoneError:
            gone = True
        else:
            item = item if ags.owned(item) else None
    if item is not None:
        news: list[str] = []
        return _fitted(ctx, known, item, news), known.others, news
    item, others, news = _own_or_new(ctx, known, candidates)
    if gone:
        news.insert(
            0,
            f"The credit column '{known.old_label}' was deleted from the gradebook; "
            "grades now go to the column named below.",
        )
    return item, others, news


def _own_or_new(
    ctx: LaunchContext, known: _Known, candidates: list[str]
) -> tuple[ags.LineItem, int, list[str]]:
    """The first of the tool's own columns in the course, else one created through AGS."""
    owned = _owned_columns(ctx.registration_id, known.container, candidates)
    if owned:
        item, others = owned[0], len(owned) - 1
        news = (
            [
                f"This course has {others + 1} '{LINE_ITEM_LABEL}' columns (the credit "
                f"item was placed more than once). Career Credit grades only the first "
                f"one placed, '{item.label}'; hide or delete the others in the gradebook."
            ]
            if others
            else []
        )
        return _fitted(ctx, known, item, news), others, news
    if not known.container or not known.may_create:
        raise PolicyViolationError(_NO_COLUMN, hint=_NO_COLUMN_HINT)
    item = ags.find_or_create_line_item(
        ctx.registration_id,
        known.container,
        label=LINE_ITEM_LABEL,
        score_maximum=known.maximum,
        resource_id=ags.OWN_RESOURCE_ID,
        tag=ags.OWN_TAG,
    )
    return (
        item,
        0,
        [
            f"Career Credit created the gradebook column '{item.label}' "
            f"(out of {item.score_maximum:g}) for credit grades."
        ],
    )


def _remember(
    ctx: LaunchContext,
    course_id: int,
    item: ags.LineItem,
    others: int,
    container: str | None,
    *,
    replaced: str | None,
) -> None:
    policy = get_policy(ctx.tenant_id, course_id)
    policy.lineitem_url = item.id
    policy.lineitem_label = item.label[:500]
    policy.lineitem_maximum = item.score_maximum
    policy.lineitems_url = container
    policy.lineitem_registration_id = ctx.registration_id
    policy.lineitem_others = others
    if replaced != item.id:
        audit.record(
            ctx.actor,
            "credit.line_item_linked",
            ctx.tenant_id,
            course_id=course_id,
            lineitem=item.id,
            label=item.label[:200],
            replaced=replaced,
        )
    db.session.flush()
