"""Shared set-up of the credential tests: a student with finished work and a credit award."""

from __future__ import annotations

from typing import Any

from credit.services import awards as award_svc
from lti_tool.extensions import db
from tests.credit.conftest import give_work
from tests.credit.test_services import LINEITEM, award_input


def awarded(school: Any, hours: int = 60) -> tuple[Any, Any, Any]:
    """A faculty member and a student of ``school``'s course, the student with ``hours`` of
    finished, evaluated work and a committed award of one credit (call in an app context)."""
    faculty, student = school.person("faculty"), school.person("student")
    give_work(student.ctx(), hours=hours)
    db.session.commit()
    award = award_svc.award_credit(
        faculty.ctx(), student.user_id, award_input(credits=1), lineitem_url=LINEITEM
    )
    db.session.commit()
    return faculty, student, award
