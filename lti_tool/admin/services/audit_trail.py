"""The administrator's audit trail page: the tenant's audit entries, newest first, searched by
action or actor text and bounded by dates (days in the tenant's time zone), in pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select

from ...models import AuditEntry
from ...paging import Page, contains_text, page_number, paginate

PER_PAGE = 50
MAX_QUERY = 200


def _date(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    # the first and last days a calendar holds cannot move to UTC: no audit entry is near them
    return day if 1000 <= day.year < 9999 else None


@dataclass(frozen=True)
class AuditQuery:
    """What the audit page's form asks for; a date that is not YYYY-MM-DD is no bound and is
    named in ``unreadable`` so the page can say so."""

    q: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1
    unreadable: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditQuery:
        """The query of a request's arguments, never an error."""
        since, until = _date(args.get("since")), _date(args.get("until"))
        unreadable = tuple(
            name
            for name, parsed in (("since", since), ("until", until))
            if args.get(name, "").strip() and parsed is None
        )
        return cls(
            q=" ".join(args.get("q", "").split())[:MAX_QUERY],
            since=since,
            until=until,
            page=page_number(args.get("page")),
            unreadable=unreadable,
        )

    def link_args(self) -> dict[str, str]:
        """The filters as the page's links carry them (empty ones left out)."""
        values = {
            "q": self.q,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


def _utc_start_of(day: dt.date, tz_name: str) -> dt.datetime:
    """The naive UTC instant (as entries store it) at which ``day`` begins in ``tz_name``."""
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def search_audit(
    tenant_id: int, query: AuditQuery, tz_name: str = "UTC", per_page: int = PER_PAGE
) -> Page[AuditEntry]:
    """One page of the tenant's audit entries that match ``query``, newest first, with the
    exact number that match; ``since`` and ``until`` are whole days, both included."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if query.q:
        statement = statement.where(
            or_(contains_text(AuditEntry.action, query.q), contains_text(AuditEntry.actor, query.q))
        )
    if query.since is not None:
        statement = statement.where(AuditEntry.created_at >= _utc_start_of(query.since, tz_name))
    if query.until is not None:
        end = _utc_start_of(query.until + dt.timedelta(days=1), tz_name)
        statement = statement.where(AuditEntry.created_at < end)
    return paginate(statement, query.page, per_page)
