"""The advisor's "All listings" table on the manage page: search by title or employer, a status
filter, a sort and pages of ``PER_PAGE``, always within one tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from lti_tool.paging import Page, contains_text, page_number, paginate

from ..models import Employer, Listing

PER_PAGE = 50
STATUSES = ("draft", "pending_approval", "open", "filled", "closed", "expired")
SORTS = {
    "newest": "Newest first",
    "title": "Title (A to Z)",
    "deadline": "Deadline (soonest first)",
}
MAX_QUERY = 200  # a title is at most 200 characters; a longer query matches nothing anyway


@dataclass(frozen=True)
class ManageQuery:
    """What the manage page's filter form asks for; unknown values already fell back."""

    q: str = ""
    status: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ManageQuery:
        """The query of a request's arguments: an unknown status is every status, an unknown
        sort is newest first, a page that is not a positive number is page 1."""
        status = args.get("status", "")
        sort = args.get("sort", "")
        return cls(
            q=" ".join(args.get("q", "").split())[:MAX_QUERY],
            status=status if status in STATUSES else "",
            sort=sort if sort in SORTS else "newest",
            page=page_number(args.get("page")),
        )

    def link_args(self) -> dict[str, str]:
        """The filters as the page's links carry them (defaults left out)."""
        values = {"q": self.q, "status": self.status}
        if self.sort != "newest":
            values["sort"] = self.sort
        return {key: value for key, value in values.items() if value}


def _order(sort: str) -> tuple[Any, ...]:
    if sort == "title":
        return (func.lower(Listing.title), Listing.id)
    if sort == "deadline":  # listings without a deadline last, on every database
        deadline = Listing.application_deadline
        return (deadline.is_(None), deadline, Listing.id)
    return (Listing.created_at.desc(), Listing.id.desc())


def manage_listings(tenant_id: int, query: ManageQuery, per_page: int = PER_PAGE) -> Page[Listing]:
    """One page of the tenant's listings that match ``query``, with the exact number that do."""
    statement = (
        select(Listing)
        .join(Employer, Employer.id == Listing.employer_id)
        .where(Listing.tenant_id == tenant_id)
        .order_by(*_order(query.sort))
    )
    if query.q:
        statement = statement.where(
            or_(contains_text(Listing.title, query.q), contains_text(Employer.name, query.q))
        )
    if query.status:
        statement = statement.where(Listing.status == query.status)
    return paginate(statement, query.page, per_page, contains_eager(Listing.employer))
