"""The public pages a signed link opens (supervisor links, employer invitations): random,
tampered, truncated and cross-purpose tokens on every ``/supervisor/`` route never get a 5xx or
a page of someone's data, and write nothing; the forms behind valid links, posted with hostile
text, never get a 5xx, never write on a refusal and never show the markup unescaped."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import csrf_token

from .conftest import (
    PROPERTY,
    World,
    any_text,
    changed,
    check_answer,
    counts,
    hostile,
    post,
    public_client,
)

pytestmark = pytest.mark.slow  # tens of examples a test

PURPOSES = {"select": "select_applicants", "hours": "confirm_hours", "evaluate": "evaluate"}
ROUTES = ("select", "hours", "evaluate", "listing")


def _path(route: str, token: str) -> str:
    return (
        f"/supervisor/{route}/{urllib.parse.quote(token.encode('utf-8', 'surrogatepass'), safe='')}"
    )


def _verifies(app: Any, route: str, token: str) -> bool:
    """Whether the token's signature verifies. itsdangerous decodes base64 leniently (it skips
    characters outside its alphabet and anything after padding), so ``valid + "::"`` is the
    same signed payload, not a forgery; nothing else can verify without the key."""
    from itsdangerous import BadSignature

    from internships.services.invitations import _serializer as invitation_serializer
    from internships.supervisor.links import _serializer

    with app.app_context():
        signer = invitation_serializer() if route == "listing" else _serializer(PURPOSES[route])
        try:
            signer.loads(token)
        except (BadSignature, UnicodeError, ValueError):
            return False
    return True


@st.composite
def tampered(draw: Any, valid: str) -> str:
    """A broken version of a valid token: a flipped character, a cut, junk added, or noise."""
    how = draw(st.sampled_from(["flip", "cut", "append", "noise", "swap_parts", "empty_sig"]))
    if how == "flip":
        i = draw(st.integers(0, len(valid) - 1))
        new = draw(st.sampled_from("AbZ0_-.=x"))
        new = "Q" if new == valid[i] else new
        return valid[:i] + new + valid[i + 1 :]
    if how == "cut":
        return valid[: draw(st.integers(1, len(valid) - 1))]
    if how == "append":
        return valid + draw(st.text(min_size=1, max_size=20))
    if how == "swap_parts":
        parts = valid.split(".")
        return ".".join(reversed(parts))
    if how == "empty_sig":
        return valid.rsplit(".", 1)[0] + "."
    return draw(st.one_of(any_text.filter(bool), st.sampled_from(["..", ".", "a.b.c", "%00"])))


@pytest.mark.usefixtures("fast_public")
@pytest.mark.parametrize("route", ROUTES)
def test_broken_tokens_are_refused_on_every_public_route(route, world):
    app = world.app
    valid = world.invitation() if route == "listing" else world.link(PURPOSES[route])
    # Positive control: the valid token opens its page.
    opened = public_client(app).get(_path(route, valid))
    assert opened.status_code == 200, opened.get_data(as_text=True)[:400]

    @PROPERTY
    @given(token=tampered(valid), method=st.sampled_from(["GET", "POST"]))
    def run(token: str, method: str) -> None:
        client = public_client(app)
        with app.app_context():
            before = counts()
        resp = client.open(_path(route, token), method=method, data={"csrf_token": "x"})
        what = f"{method} /supervisor/{route}/{token!r}"
        check_answer(resp, what)
        if not _verifies(app, route, token):
            assert resp.status_code in (308, 400, 404, 405, 410), f"{what} -> {resp.status_code}"
            if resp.status_code in (404, 410):
                reason = re.search(rb'data-reason="([^"]+)"', resp.get_data())
                assert reason and reason.group(1) in (b"invalid", b"expired", b"http_404"), what
        with app.app_context():
            assert changed(before, counts()) == {}, f"{what} wrote rows"

    run()


@pytest.mark.usefixtures("fast_public")
def test_a_link_for_one_purpose_opens_no_other(world):
    app = world.app
    for purpose_route, purpose in PURPOSES.items():
        token = world.link(purpose)
        for route in ROUTES:
            if route == purpose_route:
                continue
            resp = public_client(app).get(_path(route, token))
            check_answer(resp, f"{purpose} token on /supervisor/{route}")
            assert resp.status_code == 404, (route, purpose, resp.status_code)
    resp = public_client(app).get(
        f"/supervisor/select/{world.link('select_applicants')}/resume/999999"
    )
    check_answer(resp, "resume of no application")
    assert resp.status_code == 404


def _select_world(world: World) -> int:
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from tests.internships.work.helpers import apply

    with world.app.app_context():
        ctx = load_launch(world.student.lid)
        assert ctx is not None
        application = apply(ctx, world.listing_id)
        db.session.commit()
        return int(application.id)


def _pending_log(world: World) -> int:
    from sqlalchemy import select

    from internships.work.models import HourLog
    from lti_tool.extensions import db

    with world.app.app_context():
        return int(
            db.session.scalar(
                select(HourLog.id).where(
                    HourLog.engagement_id == world.engagement_id, HourLog.status == "pending"
                )
            )
        )


LISTING_FIELDS = (
    "employer_name", "employer_website", "contact_name", "contact_email", "title", "summary",
    "description_md", "estimated_hours", "pay_amount", "currency", "location_type",
    "compensation_type", "openings", "application_deadline", "competencies", "tags",
)  # fmt: skip


def _listing_base() -> dict[str, Any]:
    import datetime as dt

    return {
        "employer_name": "Northwind Design Studio",
        "employer_website": "https://northwind.example",
        "contact_name": "Priya Nair",
        "contact_email": "hr@northwind.example",
        "title": "Accessibility audit of a booking site",
        "summary": "Audit five pages and fix what you find.",
        "description_md": "## Work\n\n- audit",
        "estimated_hours": "20",
        "compensation_type": "fixed",
        "pay_amount": "600",
        "currency": "USD",
        "location_type": "remote",
        "openings": "1",
        "competencies": ["Technology"],
        "application_deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
    }


@pytest.mark.usefixtures("fast_public")
@pytest.mark.parametrize("route", ROUTES)
def test_hostile_input_in_public_forms(route, world):
    app = world.app
    if route == "select":
        application_id = _select_world(world)
        names: tuple[str, ...] = (f"decision-{application_id}", "decision-1")
        base: dict[str, Any] = {f"decision-{application_id}": "decline"}
    elif route == "hours":
        log_id = _pending_log(world)
        names = (f"decision-{log_id}", f"note-{log_id}")
        base = {f"decision-{log_id}": "query", f"note-{log_id}": "Which day was this?"}
    elif route == "evaluate":
        names = ("supervisor_name", "rating-0", "comment-0", "comments", "rating-1")
        base = {"supervisor_name": "Sam", "rating-0": "3", "comments": "Solid work"}
    else:
        names, base = LISTING_FIELDS, _listing_base()
    # Audit entries record each disclosure on the applicant page, refused post or not.
    ignore = ("audit_entry",) if route == "select" else ()

    @PROPERTY
    @given(values=st.dictionaries(st.sampled_from(names), hostile, min_size=1))
    def run(values: dict[str, str]) -> None:
        token = world.invitation() if route == "listing" else world.link(PURPOSES[route])
        client = public_client(app)
        page = client.get(_path(route, token))
        assert page.status_code == 200
        fields = {"csrf_token": csrf_token(page), **base, **values}
        with app.app_context():
            before = counts()
        resp = post(client, _path(route, token), fields)
        what = f"/supervisor/{route} {sorted(values)}"
        check_answer(resp, what)
        if resp.status_code >= 400:
            with app.app_context():
                assert changed(before, counts(), ignore) == {}, f"{what}: refused but wrote"

    run()


@pytest.mark.usefixtures("fast_public")
def test_public_form_positive_control(world):
    """The hours form's base is valid: the supervisor's query is recorded (200, thanks)."""
    log_id = _pending_log(world)
    token = world.link("confirm_hours")
    client = public_client(world.app)
    page = client.get(_path("hours", token))
    resp = client.post(
        _path("hours", token),
        data={
            "csrf_token": csrf_token(page),
            f"decision-{log_id}": "query",
            f"note-{log_id}": "Which day?",
        },
    )
    assert resp.status_code == 200 and b"Thank you" in resp.get_data()
