"""``flask sandbox reset``'s first half: drop the demo data of the sandbox's tenant and the
sandbox LMS's gradebook, so the demo loaders (the same as ``make run``'s first start) load it
again. The tenant, its registration, deployments, keys and settings stay: the LMS keeps
launching into the same tenant with the same keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from ..extensions import db
from .models import SandboxLaunchHint, SandboxLineItem, SandboxResourceLink, SandboxResult
from .seed import SandboxInfo

# The tenant's configuration, not its demo data: kept by a reset.
KEPT_TABLES = frozenset(
    {
        "tenant",
        "registration",
        "deployment",
        "tool_key",
        "connector_credentials",
        "registration_invitation",
    }
)


@dataclass(frozen=True)
class Dropped:
    tenant_rows: int  # the tenant's rows of every table but KEPT_TABLES
    gradebook_rows: int  # the sandbox LMS's line items, results, placed links and launch hints


def sandbox_tenant(info: SandboxInfo) -> int | None:
    """The tenant the sandbox LMS launches into, if it was seeded."""
    from ..models import Registration

    return db.session.scalar(
        select(Registration.tenant_id).where(
            Registration.issuer == info.issuer, Registration.client_id == info.client_id
        )
    )


def drop_demo_data(tenant_id: int) -> Dropped:
    """Delete every row of the tenant (people, courses, listings, work, credit, outcomes,
    mail, audit...) but its configuration, children before parents, and the sandbox LMS's
    gradebook and placements. Flushes; the caller commits."""
    from ..domains import load_models

    load_models()
    tenant_rows = 0
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEPT_TABLES or "tenant_id" not in table.c:
            continue
        rows = db.session.execute(delete(table).where(table.c.tenant_id == tenant_id))
        tenant_rows += int(getattr(rows, "rowcount", 0) or 0)
    gradebook_rows = 0
    for stmt in (
        delete(SandboxResult),
        delete(SandboxLineItem),
        delete(SandboxLaunchHint),
        delete(SandboxResourceLink).where(SandboxResourceLink.kind == "placed"),
    ):
        gradebook_rows += int(getattr(db.session.execute(stmt), "rowcount", 0) or 0)
    db.session.flush()
    return Dropped(tenant_rows, gradebook_rows)


def count_tenant_rows(tenant_id: int, table_name: str) -> int:
    """How many rows of one table belong to the tenant (what ``reset`` reports)."""
    table = db.metadata.tables[table_name]
    return int(
        db.session.scalar(
            select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        )
        or 0
    )
