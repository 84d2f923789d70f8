"""Line items (gradebook columns) found or created by ``resourceId``/``tag``, read one at a
time, and whether a column is Career Credit's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import ConnectorError
from ...extensions import db
from ...models import Registration
from .. import services_client
from .answers import explain
from .spec import LINEITEM_MEDIA, LINEITEMS_MEDIA, OWN_RESOURCE_ID, OWN_TAG, SCOPE_LINEITEM


@dataclass(frozen=True)
class LineItem:
    """A gradebook column as the platform describes it (``id`` is its URL)."""

    id: str
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None


def line_item_from_json(data: Any) -> LineItem:
    if not isinstance(data, dict) or not data.get("id"):
        raise ConnectorError("The LMS answered with something that is not a line item.")
    return LineItem(
        id=str(data["id"]),
        label=str(data.get("label") or ""),
        score_maximum=float(data.get("scoreMaximum") or 0),
        resource_id=data.get("resourceId"),
        tag=data.get("tag"),
        resource_link_id=data.get("resourceLinkId"),
    )


def owned(item: LineItem) -> bool:
    """Whether a column is one Career Credit created or placed (its resourceId or tag)."""
    return item.resource_id == OWN_RESOURCE_ID or item.tag == OWN_TAG


class LineItemGoneError(ConnectorError):
    """The line item no longer exists in the LMS (deleted from the gradebook)."""


def get_line_item(registration_id: int, lineitem_url: str) -> LineItem:
    """One line item as the platform describes it; ``LineItemGoneError`` when deleted."""
    resp = services_client.request(
        _registration(registration_id), "GET", lineitem_url, (SCOPE_LINEITEM,), LINEITEM_MEDIA
    )
    if resp.status_code in (404, 410):
        raise LineItemGoneError("The gradebook column no longer exists in the LMS.")
    return line_item_from_json(_answer(resp, (200,), "read a gradebook column", "a line item"))


def _answer(resp: Any, ok: tuple[int, ...], doing: str, what: str) -> Any:
    """The platform's JSON answer; a ``ConnectorError`` saying what failed otherwise."""
    if resp.status_code not in ok:
        raise ConnectorError(
            f"Career Credit could not {doing}: {explain(resp.status_code, resp.text)}"
        )
    try:
        return resp.json()
    except ValueError as exc:
        raise ConnectorError(f"The LMS sent {what} that is not JSON.") from exc


def _registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise ConnectorError("The registration of this course no longer exists.")
    return reg


def find_line_items(
    registration_id: int,
    lineitems_url: str,
    *,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[LineItem]:
    """The course's line items with this resourceId and/or tag (first page)."""
    reg = _registration(registration_id)
    params = {k: v for k, v in (("resource_id", resource_id), ("tag", tag)) if v}
    resp = services_client.request(
        reg, "GET", lineitems_url, (SCOPE_LINEITEM,), LINEITEMS_MEDIA, params=params
    )
    data = _answer(resp, (200,), "read the course's grade columns", "a line item list")
    if not isinstance(data, list):
        raise ConnectorError("The LMS sent a line item list that is not a list.")
    items = [line_item_from_json(d) for d in data]
    # Some platforms ignore the filters: apply them again.
    return [
        i
        for i in items
        if (resource_id is None or i.resource_id == resource_id) and (tag is None or i.tag == tag)
    ]


def find_or_create_line_item(
    registration_id: int,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    tag: str | None = None,
    resource_link_id: str | None = None,
) -> LineItem:
    """The line item with this resourceId/tag in the course's container, created when none
    exists (used when no line item was placed by deep linking). Call it outside a write
    transaction: it waits on the network (and, on SQLite, the sandbox shares the database)."""
    if not resource_id and not tag:
        raise ValueError("find_or_create_line_item needs a resource_id or a tag")
    found = find_line_items(registration_id, lineitems_url, resource_id=resource_id, tag=tag)
    if found:
        return found[0]
    body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
    for key, value in (
        ("resourceId", resource_id),
        ("tag", tag),
        ("resourceLinkId", resource_link_id),
    ):
        if value:
            body[key] = value
    resp = services_client.request(
        _registration(registration_id),
        "POST",
        lineitems_url,
        (SCOPE_LINEITEM,),
        LINEITEM_MEDIA,
        json=body,
        headers={"Content-Type": LINEITEM_MEDIA},
    )
    return line_item_from_json(_answer(resp, (200, 201), "create the grade column", "a line item"))


def set_score_maximum(registration_id: int, item: LineItem, score_maximum: float) -> LineItem:
    """The line item with a new ``scoreMaximum`` (a PUT that keeps its label, resourceId, tag
    and resource link): Career Credit's own column fitted to the course's grading (1 for
    pass/fail). Call it outside a write transaction: it waits on the network."""
    body: dict[str, Any] = {"label": item.label, "scoreMaximum": score_maximum}
    for key, value in (
        ("resourceId", item.resource_id),
        ("tag", item.tag),
        ("resourceLinkId", item.resource_link_id),
    ):
        if value:
            body[key] = value
    resp = services_client.request(
        _registration(registration_id),
        "PUT",
        item.id,
        (SCOPE_LINEITEM,),
        LINEITEM_MEDIA,
        json=body,
        headers={"Content-Type": LINEITEM_MEDIA},
    )
    if resp.status_code in (404, 410):
        raise LineItemGoneError("The gradebook column no longer exists in the LMS.")
    return line_item_from_json(_answer(resp, (200,), "change the grade column", "a line item"))
