"""What the student's home shows of the accreditation domains, read in one statement for two
panels (issue 16): the credentials panel (how many valid credentials, the latest's title, the
portfolio's state) and the progress report panel (the advisor's latest share). The panels run
one after the other in the same request; the first reads, the second finds the reading kept
on ``g`` for the same tenant and student."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy import bindparam, func, select, true

from lti_tool.context import LaunchContext
from lti_tool.extensions import db

from .credentials.models import Credential
from .credentials.pages.models import Portfolio
from .reports.models import ReportShare


@dataclass(frozen=True)
class Share:
    """The advisor's latest share of the student's progress report."""

    created_at: dt.datetime
    message: str
    shared_by: str


@dataclass(frozen=True)
class StudentHomeReads:
    tenant_id: int
    student_id: int
    credentials: int  # valid achievements
    latest_title: str | None  # the newest one's card title
    published: bool  # the portfolio
    share: Share | None


def _statement() -> Any:
    """Parameters ``tenant_id``, ``student_id``: a row of the counts, left-joined to the newest
    valid achievement's names (read from its document by JSON path: the card's title needs no
    more of it) and to the latest report share."""
    tenant: Any = bindparam("tenant_id")
    student: Any = bindparam("student_id")
    valid = (
        Credential.tenant_id == tenant,
        Credential.student_id == student,
        Credential.kind == "achievement",
        Credential.revoked_at.is_(None),
    )
    counts = select(
        select(func.count()).where(*valid).scalar_subquery().label("n"),
        select(func.count())
        .where(
            Portfolio.tenant_id == tenant,
            Portfolio.student_id == student,
            Portfolio.token_hash.is_not(None),
        )
        .scalar_subquery()
        .label("p"),
    ).subquery("c")
    document = Credential.document
    newest = (
        select(
            document[("credentialSubject", "achievement", "name")].as_string().label("a"),
            document["name"].as_string().label("d"),
        )
        .where(*valid)
        .order_by(Credential.issued_at.desc(), Credential.id.desc())
        .limit(1)
        .subquery("l")
    )
    share = (
        select(ReportShare.created_at, ReportShare.message, ReportShare.shared_by)
        .where(ReportShare.tenant_id == tenant, ReportShare.student_id == student)
        .order_by(ReportShare.id.desc())
        .limit(1)
        .subquery("s")
    )
    return (
        select(counts.c.n, counts.c.p, newest.c.a, newest.c.d, *share.c)
        .select_from(counts)
        .outerjoin(newest, true())
        .outerjoin(share, true())
    )


_STATEMENT = _statement()  # built once: building it cost more than running it


def _title(achievement: Any, name: Any) -> str:
    """The card's title (``cards.card_of``): the achievement's name, else the document's."""
    for value in (achievement, name):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "Achievement"


def student_home_reads(ctx: LaunchContext) -> StudentHomeReads:
    """The launch student's credentials, portfolio and latest report share (see the module),
    read once a request."""
    kept = g.get("accreditation_student_home")
    if kept is not None and (kept.tenant_id, kept.student_id) == (ctx.tenant_id, ctx.user_id):
        return kept
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    row = db.session.execute(_STATEMENT, params).one()
    count = int(row.n or 0)
    reads = StudentHomeReads(
        tenant_id=ctx.tenant_id,
        student_id=ctx.user_id,
        credentials=count,
        latest_title=_title(row.a, row.d) if count else None,
        published=bool(row.p),
        share=Share(row.created_at, row.message, row.shared_by) if row.created_at else None,
    )
    g.accreditation_student_home = reads
    return reads
