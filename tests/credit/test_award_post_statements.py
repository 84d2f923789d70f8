"""What an award reads (issue 16): the checks read the student's decisions once, and the
request for changes that waited for the student closes from them, not from a second read; once
it is closed, a later award does not read what it reopened again."""

from __future__ import annotations

from sqlalchemy import select

from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from internships.work.models import EngagementReopening
from lti_tool.extensions import db
from tests.helpers import counted

from .conftest import give_work
from .test_services import LINEITEM, award_input, policy_input


def _reads_of(table: str, statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().startswith("SELECT") and f"FROM {table}" in s)


def test_an_award_reads_the_decisions_once_and_closes_the_waiting_request(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        engagement = give_work(student.ctx(), hours=50)
        fctx = faculty.ctx()
        policy_svc.update_policy(fctx, policy_input())
        award_svc.request_changes(fctx, student.user_id, "More.", [f"hours:{engagement.id}"])
        db.session.commit()
        with counted() as statements:
            award = award_svc.award_credit(
                fctx, student.user_id, award_input(), lineitem_url=LINEITEM
            )
        db.session.commit()
        assert award.status == "final"
        # the checks' one read of the decisions (two before issue 16's third pass)
        assert _reads_of("credit_decision", statements) == 1, "\n".join(statements)
        rows = db.session.scalars(
            select(EngagementReopening).where(EngagementReopening.engagement_id == engagement.id)
        ).all()
        assert rows and all(row.closed_at is not None for row in rows)  # the request closed
        closed = {row.id: row.closed_at for row in rows}
        # a correction: the request is still the latest decision, but nothing it reopened is
        # open any more (read with the checks), so nothing is read or closed again
        with counted() as statements:
            award_svc.award_credit(
                fctx,
                student.user_id,
                award_input(comment="Recounted."),
                lineitem_url=LINEITEM,
                supersedes_id=award.id,
            )
        db.session.commit()
        reads = [s for s in statements if s.lstrip().startswith("SELECT engagement_reopening.")]
        assert reads == [], "\n".join(statements)
        db.session.expire_all()
        assert {row.id: row.closed_at for row in rows} == closed
