"""Fixtures for the attainment tests: a school whose people arrive by real signed launches,
and a factory that records evidence rows for them (committed)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from sqlalchemy import select

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from internships.profile.models import StudentProfile
from lti_tool.extensions import db
from lti_tool.models import Course


def nace_item(tenant_id: int, name: str) -> tuple[int, int]:
    """(item id, current version id) of the tenant's NACE competency called ``name``."""
    fw = fw_services.ensure_builtin_frameworks(tenant_id)
    item = next(i for i in fw.items if i.current.name == name)
    return item.id, item.current.id


@pytest.fixture
def record(app):
    """Factory: record evidence rows ``(person, competency, level, source)`` and commit."""

    def make(tenant_id: int, rows: list[tuple[Any, str, int | None, str]], **extra: Any) -> None:
        with app.app_context():
            for person, name, level, source in rows:
                ctx = person.ctx()
                item_id, version_id = nace_item(tenant_id, name)
                method = "supervisor_rating" if source == "direct" else "self_assessment"
                db.session.add(
                    Evidence(
                        tenant_id=tenant_id,
                        student_id=ctx.user_id,
                        course_id=extra.get("course_id", ctx.course_id),
                        engagement_id=extra.get("engagement_id"),
                        listing_id=extra.get("listing_id"),
                        item_id=item_id,
                        item_version_id=version_id,
                        level=level,
                        source=source,
                        method=method,
                        rater=extra.get("rater", "Sam Supervisor"),
                        observed_at=dt.datetime(2026, 3, 1),
                        origin=f"test:{secrets.token_hex(6)}",
                    )
                )
            db.session.commit()

    return make


def set_term(app, course_id: int, name: str, start: str) -> None:
    with app.app_context():
        course = db.session.get(Course, course_id)
        course.term_name, course.term_start = name, start
        db.session.commit()


def set_program(app, tenant_id: int, user_id: int, program: str) -> None:
    with app.app_context():
        profile = db.session.scalar(
            select(StudentProfile).where(
                StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == user_id
            )
        )
        if profile is None:
            profile = StudentProfile(tenant_id=tenant_id, user_id=user_id)
            db.session.add(profile)
        profile.program = program
        db.session.commit()
