"""The reads of listings by id, built once: the listings of the "For you" picks (a board
page's cards are ``board_statements.cards_statement``)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..models import Listing


@functools.cache
def listings_statement() -> Any:
    """Listings with their employers by id (the "For you" picks), built once:
    a request binds ``tenant_id`` and ``ids``."""
    return (
        select(Listing)
        .options(joinedload(Listing.employer))
        .where(
            Listing.tenant_id == bindparam("tenant_id"),
            Listing.id.in_(bindparam("ids", expanding=True)),
        )
    )
