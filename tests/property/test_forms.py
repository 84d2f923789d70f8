"""Every form inside a launch, posted with random and hostile text in its fields through real
signed launches and valid CSRF tokens: never a 5xx, a refused post writes no row, and no page
(the answer, or the page a success leads to) shows the hostile markup unescaped."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from .conftest import IMG, PROPERTY, SCRIPT, World, changed, check_answer, counts, hostile, post

pytestmark = pytest.mark.slow  # tens of examples a test

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
SOON = (dt.date.today() + dt.timedelta(days=20)).isoformat()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


@dataclass
class FormSpec:
    """One form: who posts it, where, a valid base, and which fields take hostile text."""

    who: str
    url: Callable[[World], str]
    base: Callable[[World], dict[str, Any]]
    fields: tuple[str, ...]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


LISTING = {
    "new_employer": "Harbor Logistics",
    "title": "Warehouse data clean-up",
    "summary": "Tidy a stock spreadsheet.",
    "description_md": "## Work\n\n- tidy",
    "deliverables": "A clean sheet",
    "estimated_hours": "20",
    "compensation_type": "fixed",
    "pay_amount": "600.00",
    "currency": "USD",
    "location_type": "remote",
    "location": "",
    "openings": "1",
    "competencies": ["Technology"],
    "tags": "logistics",
    "programs": "",
    "work_authorization": "",
    "application_deadline": SOON,
    "publish": "Publish",
}
LISTING_TEXT = (
    "new_employer", "title", "summary", "description_md", "deliverables", "tags", "location",
    "programs", "work_authorization", "estimated_hours", "pay_amount", "openings",
    "application_deadline", "currency", "compensation_type", "employer", "competencies",
)  # fmt: skip

FORMS: dict[str, FormSpec] = {
    "listing_create": FormSpec(
        "advisor", lambda w: "/internships/new", lambda w: dict(LISTING), LISTING_TEXT
    ),
    "listing_edit": FormSpec(
        "advisor",
        lambda w: f"/internships/{w.spare_listing_id}/edit",
        lambda w: (
            {k: v for k, v in LISTING.items() if k != "new_employer"}
            | {"employer": str(w.extra["spare_employer_id"])}
        ),
        LISTING_TEXT,
    ),
    "apply": FormSpec(
        "student",
        lambda w: f"/work/apply/{w.listing_id}",
        lambda w: {
            "statement": "I have run two survey projects and enjoy careful analysis work.",
            "availability": "Weekday evenings",
            "program": "Business",
            "class_year": "Junior",
            "consent": "y",
        },
        ("statement", "availability", "program", "class_year", "consent"),
        {"resume": ("cv.pdf", PDF, "application/pdf")},
    ),
    "hours": FormSpec(
        "student",
        lambda w: f"/work/engagements/{w.engagement_id}",
        lambda w: {
            "form": "hours",
            "work_date": YESTERDAY,
            "hours": "1.5",
            "description": "Survey design",
        },
        ("work_date", "hours", "description"),
    ),
    "reflection": FormSpec(
        "student",
        lambda w: f"/work/engagements/{w.engagement_id}/reflection",
        lambda w: (
            dict.fromkeys(REFLECTION, "An answer that is long enough to count as one." * 2)
            | {"save": "Save draft"}
        ),
        ("what", "learned", "competencies", "challenge", "next"),
    ),
    "deliverable": FormSpec(
        "student",
        lambda w: f"/work/engagements/{w.engagement_id}",
        lambda w: {"form": "deliverable", "title": "Final report", "url": "https://example.org/r"},
        ("title", "url"),
    ),
    "agreement": FormSpec(
        "faculty",
        lambda w: f"/work/engagements/{w.engagement_id}/agreement",
        lambda w: {
            "competencies": ["Teamwork"],
            "planned_hours": "40",
            "supervisor_name": "Sam Supervisor",
            "supervisor_email": "sam@acme.example",
            "goals": "Learn to run a survey from start to finish.",
            "start_date": YESTERDAY,
            "end_date": SOON,
        },
        (
            "competencies",
            "planned_hours",
            "supervisor_name",
            "supervisor_email",
            "goals",
            "start_date",
            "end_date",
        ),
    ),
    "profile": FormSpec(
        "student",
        lambda w: "/profile/",
        lambda w: {
            "program": "Business Analytics",
            "class_year": "",
            "expected_graduation": "",
            "work_authorization": "",
            "interests": "Data",
            "career_goals": "Analyst",
            "weekly_availability_hours": "10",
        },
        (
            "program",
            "class_year",
            "expected_graduation",
            "work_authorization",
            "skills",
            "interests",
            "career_goals",
            "weekly_availability_hours",
        ),
    ),
    "credit_policy": FormSpec(
        "faculty",
        lambda w: "/credit/policy",
        lambda w: {
            "hours_per_credit": "45",
            "max_credits": "2",
            "require_agreement": "y",
            "min_rating": "",
            "grading_mode": "pass_fail",
            "points_possible": "100",
            "approval_chain": "faculty",
            "second_approver": "advisor",
        },
        (
            "hours_per_credit",
            "max_credits",
            "min_rating",
            "grading_mode",
            "points_possible",
            "deadline",
            "approval_chain",
            "second_approver",
            "allow_stacking",
        ),
    ),
    "award": FormSpec(
        "faculty",
        lambda w: f"/credit/students/{w.student_id}",
        lambda w: {
            "form": "award",
            "idempotency_key": secrets.token_hex(12),
            "credits": "1",
            "comment": "Good",
        },
        ("idempotency_key", "credits", "score", "comment"),
    ),
    "ask_changes": FormSpec(
        "faculty",
        lambda w: f"/credit/students/{w.student_id}",
        lambda w: {
            "form": "changes",
            "message": "Please add the final report.",
            "parts": [f"hours:{w.engagement_id}"],
        },
        ("message", "parts"),
    ),
    "deny": FormSpec(
        "faculty",
        lambda w: f"/credit/students/{w.student_id}",
        lambda w: {"form": "deny", "message": "The work does not meet the policy.", "confirm": "y"},
        ("message",),
    ),
    "admin_settings": FormSpec(
        "admin",
        lambda w: "/admin/settings",
        lambda w: {
            "time_zone": "America/New_York",
            "advisor_claim_name": "career_credit_role",
            "advisor_claim_value": "advisor",
            "institution_admin_is_tool_admin": "y",
        },
        (
            "time_zone",
            "advisor_claim_name",
            "advisor_claim_value",
            "institution_admin_is_tool_admin",
            "confirm_admin_lockout",
        ),
    ),
}
REFLECTION = ("what", "learned", "competencies", "challenge", "next")


@pytest.fixture
def spare_employer(world):
    from internships.models import Listing
    from lti_tool.extensions import db

    with world.app.app_context():
        world.extra["spare_employer_id"] = db.session.get(
            Listing, world.spare_listing_id
        ).employer_id
    return world


def _follow(client: Any, resp: Any, what: str) -> None:
    """A success leads to a page: it must hold the same promises."""
    if resp.status_code in (302, 303) and resp.headers.get("Location"):
        check_answer(client.get(resp.headers["Location"]), f"{what} (after redirect)")


@pytest.mark.parametrize("name", sorted(FORMS))
def test_hostile_input_in_any_form(name, world, spare_employer):
    spec = FORMS[name]
    person = getattr(world, spec.who)
    app = world.app

    @PROPERTY
    @given(values=st.dictionaries(st.sampled_from(spec.fields), hostile, min_size=1))
    @example({spec.fields[0]: "NUL\x00here"})
    @example({spec.fields[0]: SCRIPT, spec.fields[-1]: IMG})
    def run(values: dict[str, str]) -> None:
        fields = person.fields(**spec.base(world))
        fields.update(values)
        with app.app_context():
            before = counts()
        resp = post(person.client, person.url(spec.url(world)), fields, spec.files)
        what = f"{name} {sorted(values)}"
        check_answer(resp, what)
        if resp.status_code >= 400:
            with app.app_context():
                assert changed(before, counts()) == {}, f"{what}: a refused post wrote rows"
        _follow(person.client, resp, what)

    run()


def test_a_positive_control_saves(world, spare_employer):
    """The base of each form is valid: a plain post of the hours form is saved (303)."""
    spec = FORMS["hours"]
    person = world.student
    resp = post(person.client, person.url(spec.url(world)), person.fields(**spec.base(world)))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]


def test_a_nul_character_is_refused_with_its_reason(world, spare_employer):
    """PostgreSQL cannot store NUL in text: every request carrying one is refused up front
    (400, reason invalid_characters) and writes nothing — on SQLite too, so both behave alike."""
    spec, person = FORMS["hours"], world.student
    url = person.url(spec.url(world))
    ok = post(person.client, url, person.fields(**spec.base(world)))
    assert ok.status_code == 303, ok.get_data(as_text=True)[:600]
    with world.app.app_context():
        before = counts()
    fields = person.fields(**(spec.base(world) | {"description": "Survey\x00design"}))
    refused = post(person.client, url, fields)
    assert refused.status_code == 400
    assert b'data-reason="invalid_characters"' in refused.get_data()
    searched = person.client.get(person.url("/internships/?q=a%00b"))
    assert searched.status_code == 400
    with world.app.app_context():
        assert changed(before, counts()) == {}
