"""The board's facet filters: a listing's skills and competencies (any of the chosen ones of a
kind), and on PostgreSQL its place and pay, from the facets array."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Select, Text, literal, literal_column, select

from lti_tool.extensions import db

from ..models import Listing, ListingFacet


def facet_ids(tenant_id: int, kind: str, values: tuple[str, ...]) -> Select[int]:
    return select(ListingFacet.listing_id).where(
        ListingFacet.tenant_id == tenant_id,
        ListingFacet.kind == kind,
        ListingFacet.value.in_(values),
    )


# PostgreSQL: the listing's skills, competencies, place and pay as a stored generated text[]
# column with a GIN index (migration f16c0000000c): "s:<skill id>", "c:<competency>",
# "place:remote", "pay:paid". A word search and the filters are then GIN bitmaps ANDed before
# a heap page is read: at 250,000 listings a common competency's 62,000 ids were hashed whole
# and each word match read from the heap to be joined to them and checked for place and pay
# (a capped count read 12,700 heap pages; now 1,260).
_PG_FACETS: Any = literal_column("listing.facets")
_FACET_PREFIX = {"skill": "s:", "competency": "c:"}


def _keys(keys: list[str]) -> Any:
    return literal(keys, ARRAY(Text))


def has_facet(tenant_id: int, kind: str, values: tuple[str, ...]) -> Any:
    """The listing has any of ``values`` of ``kind`` (PostgreSQL: its facets array, elsewhere
    its ``ListingFacet`` rows)."""
    if db.session.get_bind().dialect.name == "postgresql":
        keys = [_FACET_PREFIX[kind] + v for v in values]
        return _PG_FACETS.op("&&", is_comparison=True)(_keys(keys))
    return Listing.id.in_(facet_ids(tenant_id, kind, values))


def holds_all(keys: list[str]) -> Any:
    """PostgreSQL: the listing's facets hold every key ("pay:paid", "place:remote")."""
    return _PG_FACETS.op("@>", is_comparison=True)(_keys(keys))
