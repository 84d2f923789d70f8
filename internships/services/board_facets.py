"""The board's facet filters: a listing's skills and competencies (any of the chosen ones of a
kind), and on PostgreSQL its place and pay, from the facets array. The values are bind
parameters: the board builds its statements once per shape of query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Select, Text, bindparam, literal_column, select

from ..models import Listing, ListingFacet

# PostgreSQL: the listing's skills, competencies, place and pay as a stored generated text[]
# column with a GIN index (migration f16c0000000c): "s:<skill id>", "c:<competency>",
# "place:remote", "pay:paid". A word search and the filters are then GIN bitmaps ANDed before
# a heap page is read: at 250,000 listings a common competency's 62,000 ids were hashed whole
# and each word match read from the heap to be joined to them and checked for place and pay
# (a capped count read 12,700 heap pages; now 1,260).
_PG_FACETS: Any = literal_column("listing.facets")
PREFIX = {"skill": "s:", "competency": "c:"}


def facet_ids(tenant_id: Any, kind: str) -> Select[int]:
    """SQLite: the ids of the listings with any of the values bound as ``<kind>_values``."""
    return select(ListingFacet.listing_id).where(
        ListingFacet.tenant_id == tenant_id,
        ListingFacet.kind == kind,
        ListingFacet.value.in_(bindparam(f"{kind}_values", expanding=True)),
    )


def has_facet(dialect: str, tenant_id: Any, kind: str) -> Any:
    """The listing has any of the values of ``kind`` bound as ``<kind>_values`` (PostgreSQL:
    its facets array, the values prefixed with ``PREFIX[kind]``; elsewhere its
    ``ListingFacet`` rows)."""
    if dialect == "postgresql":
        keys = bindparam(f"{kind}_values", type_=ARRAY(Text))
        return _PG_FACETS.op("&&", is_comparison=True)(keys)
    return Listing.id.in_(facet_ids(tenant_id, kind))


def holds_all() -> Any:
    """PostgreSQL: the listing's facets hold every key bound as ``held`` ("pay:paid",
    "place:remote")."""
    return _PG_FACETS.op("@>", is_comparison=True)(bindparam("held", type_=ARRAY(Text)))
