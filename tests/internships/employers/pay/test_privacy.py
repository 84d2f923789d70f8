"""A student's export holds their pay records (terms, payments, overdue notices), and erasing
the student removes them (the schema finds each table by its ``student_id``)."""

from __future__ import annotations

import json
import zipfile

from sqlalchemy import func, select

from internships.employers.pay.models import EngagementPay, OverduePayment, Payment
from lti_tool.extensions import db
from lti_tool.models import Tenant

from .helpers import mark, paid_engagement, tick, uid, workspace_path


def test_export_and_erasure_cover_the_pay_records(app, runner, world, tmp_path):
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    tick(app)
    assert mark(app, workspace_path(app, engagement_id), reference="EXPORT-ME").status_code == 303
    student_id = uid(app, world["student"])
    with app.app_context():
        tenant = db.session.get(Tenant, world["school"].tenant_id).name
    out = tmp_path / "export.zip"
    args = ["privacy", "export", "--tenant", tenant, "--user", world["student"].sub, str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        records = json.loads(archive.read("data.json"))["records"]
    assert [r["reference"] for r in records["employer_payment"]] == ["EXPORT-ME"]
    assert len(records["engagement_pay"]) == 1 and len(records["pay_overdue"]) == 1
    erase = ["privacy", "erase", "--tenant", tenant, "--user", world["student"].sub, "--yes"]
    result = runner.invoke(args=erase)
    assert result.exit_code == 0, result.output
    with app.app_context():
        for model in (EngagementPay, Payment, OverduePayment):
            left = db.session.scalar(
                select(func.count(model.id)).where(model.student_id == student_id)
            )
            assert left == 0, model.__tablename__
