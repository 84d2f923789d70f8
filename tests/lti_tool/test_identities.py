"""Identities and courses are per LMS: (tenant, issuer, sub) and (tenant, issuer, context id).

A second LMS joined to a tenant that sends the same ``sub`` and context id (Moodle's are small
integers) gets people and courses of its own; a re-install (same issuer, new client id) keeps
them; a tool administrator of the tenant may link two identities of one person (audited)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Course, IdentityLink, Launch, Tenant, User
from tests.helpers import ADVISOR_RULE, Person, csrf_token
from tests.internships.work.helpers import (
    accept_via_advisor,
    submit_application,
    the_application,
)
from tests.platform import LmsPlatform

SUB, CONTEXT = "42", "7"  # what a Moodle site sends
ADVISOR = {"custom": {"career_credit_role": "advisor"}, "name": "Ana A."}


@pytest.fixture
def two_lms(app, make_platform):
    """Two LMSs (registrations with different issuers) joined to one tenant."""
    first = make_platform(tenant_settings=ADVISOR_RULE)
    with app.app_context():
        name = db.session.get(Tenant, first.tenant_id).name
    second = make_platform(tenant=name)
    assert second.tenant_id == first.tenant_id and second.issuer != first.issuer
    return first, second


@pytest.fixture
def listing_of(app):
    """Factory: a committed open listing of a tenant (through the listing services)."""
    import datetime as dt

    from internships.services.listings import create_listing, ensure_employer
    from tests.internships.conftest import ACTOR, listing_input

    def make(tenant_id: int) -> int:
        deadline = dt.date.today() + dt.timedelta(days=30)
        with app.app_context():
            emp = ensure_employer(
                Actor(tenant_id, ACTOR), "Acme Analytics", contact_email="sam@acme.example"
            )
            listing = create_listing(
                Actor(tenant_id, ACTOR),
                listing_input(emp.id, application_deadline=deadline),
                submit=True,
            )
            db.session.commit()
            return int(listing.id)

    return make


def launch_row(app, lid: str) -> tuple[int, int | None]:
    with app.app_context():
        launch = db.session.get(Launch, lid)
        return launch.user_id, launch.course_id


def people(app, tenant_id: int, sub: str) -> list[User]:
    with app.app_context():
        rows = db.session.scalars(
            select(User).where(User.tenant_id == tenant_id, User.sub == sub).order_by(User.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_two_lms_of_a_tenant_sending_the_same_sub_and_context_are_two_people(app, two_lms, driver):
    first, second = two_lms
    ana = driver(first).launch(sub=SUB, course=CONTEXT, name="Ana Alvarez", title="At A")
    # positive control: the same LMS again is the same person and the same course
    again = driver(first).launch(sub=SUB, course=CONTEXT, name="Ana Alvarez", title="At A")
    assert launch_row(app, again.lid) == launch_row(app, ana.lid)
    bob = driver(second).launch(sub=SUB, course=CONTEXT, name="Bob Brown", title="At B")
    (ana_user, ana_course), (bob_user, bob_course) = (
        launch_row(app, ana.lid),
        launch_row(app, bob.lid),
    )
    assert ana_user != bob_user and ana_course != bob_course
    found = people(app, first.tenant_id, SUB)
    assert [(u.issuer, u.name) for u in found] == [
        (first.issuer, "Ana Alvarez"),  # not renamed by the other LMS's launch
        (second.issuer, "Bob Brown"),
    ]
    with app.app_context():
        courses = db.session.execute(
            select(Course.issuer, Course.title)
            .where(Course.tenant_id == first.tenant_id, Course.context_id == CONTEXT)
            .order_by(Course.id)
        ).all()
    assert [tuple(c) for c in courses] == [(first.issuer, "At A"), (second.issuer, "At B")]
    assert "At A" not in bob.home.get_data(as_text=True)
    assert "Ana Alvarez" not in bob.home.get_data(as_text=True)


def test_the_other_lms_student_cannot_open_her_resume_application_or_engagement(
    app, two_lms, driver, listing_of
):
    first, second = two_lms
    listing = listing_of(first.tenant_id)
    lti = driver(first)
    advisor = lti.launch(
        sub="adv-1", role="faculty", course=None, custom={"career_credit_role": "advisor"}
    )
    ana_driver = driver(first)
    ana_launch = ana_driver.launch(sub=SUB, course=CONTEXT, name="Ana Alvarez", follow=False)
    ana = Person(ana_driver.client, ana_launch.lid, SUB)
    assert submit_application(ana, listing).status_code == 303
    application = the_application(app, SUB, listing)
    world = {"advisor": Person(lti.client, advisor.lid, "adv-1"), "listing": listing}
    assert accept_via_advisor(world, application.id).status_code == 200
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
    assert engagement_id is not None
    urls = (
        f"/work/applications/{application.id}/resume",
        f"/work/engagements/{engagement_id}",
    )
    for url in urls:  # positive control: they are hers
        assert ana.client.get(f"{url}?lid={ana.lid}").status_code == 200
    assert "Market research sprint" in ana.client.get(f"/work/applications?lid={ana.lid}").get_data(
        as_text=True
    )
    bob_driver = driver(second)
    bob_launch = bob_driver.launch(sub=SUB, course=CONTEXT, name="Bob Brown", follow=False)
    bob = Person(bob_driver.client, bob_launch.lid, SUB)
    resume = bob.client.get(f"{urls[0]}?lid={bob.lid}")
    assert resume.status_code == 404
    assert "does not exist or is not yours" in resume.get_data(as_text=True)
    page = bob.client.get(f"{urls[1]}?lid={bob.lid}")
    assert page.status_code == 404
    assert "does not exist or is not yours to see" in page.get_data(as_text=True)
    mine = bob.client.get(f"/work/applications?lid={bob.lid}")
    assert mine.status_code == 200 and "Market research sprint" not in mine.get_data(as_text=True)
    assert [u.name for u in people(app, first.tenant_id, SUB)] == ["Ana Alvarez", "Bob Brown"]


def test_a_second_tenant_with_look_alike_values_is_separate(app, two_lms, make_platform, driver):
    first, _second = two_lms
    elsewhere = make_platform()
    ana = driver(first).launch(sub=SUB, course=CONTEXT, name="Ana Alvarez", title="At A")
    far = driver(elsewhere).launch(sub=SUB, course=CONTEXT, name="Far Away", title="Far")
    assert elsewhere.tenant_id != first.tenant_id
    assert launch_row(app, far.lid)[0] != launch_row(app, ana.lid)[0]
    assert launch_row(app, far.lid)[1] != launch_row(app, ana.lid)[1]
    assert [u.name for u in people(app, first.tenant_id, SUB)] == ["Ana Alvarez"]
    assert [u.name for u in people(app, elsewhere.tenant_id, SUB)] == ["Far Away"]


def test_a_reinstall_with_a_new_client_id_keeps_the_people(app, keyset, make_platform, driver):
    """The key is the issuer, not the registration: a new client id of the same LMS attached
    to the tenant is the same LMS, and its launches find the same person and course."""
    from lti_tool.registration.services.tenants import PlatformSpec, add_platform

    first = make_platform()
    before = driver(first).launch(sub=SUB, course=CONTEXT, name="Ana Alvarez")
    again = LmsPlatform(
        issuer=first.issuer,
        client_id=f"client-{secrets.token_hex(4)}",
        deployment_id="dep-2",
        keyset=keyset,
    )
    with app.app_context():
        tenant = db.session.get(Tenant, first.tenant_id)
        add_platform(
            Actor(None, "tests"),
            PlatformSpec(
                name=f"Re-install {again.client_id}",
                issuer=again.issuer,
                client_id=again.client_id,
                auth_login_url=f"{again.issuer}/auth",
                auth_token_url=f"{again.issuer}/token",
                key_set_url=again.key_set_url,
                deployment_ids=("dep-2",),
                tenant=tenant.name,
            ),
            allow_http=True,
        )
        db.session.commit()
    after = driver(again).launch(sub=SUB, course=CONTEXT, name="Ana Alvarez")
    assert launch_row(app, after.lid) == launch_row(app, before.lid)


# --- linking two identities of one person ----------------------------------------------------


def admin_of(driver, platform, sub: str = "admin-1"):
    lti = driver(platform)
    launched = lti.launch(sub=sub, role="admin", course=None, name="Ada Admin")
    return lti.client, launched.lid


def test_an_administrator_links_two_identities_audited_and_unlinks(app, two_lms, driver):
    first, second = two_lms
    email = {"email": "ana@school.example"}
    ana = driver(first).launch(sub="ana-a", course=CONTEXT, name="Ana Alvarez", extra=email)
    ana_b = driver(second).launch(sub="9", course=CONTEXT, name="Ana A.", extra=email)
    ana_id, ana_b_id = launch_row(app, ana.lid)[0], launch_row(app, ana_b.lid)[0]
    # before any link, the other LMS's identity is its own, also outside a course
    # (outside a course: here an advisor's account-level launch)
    lonely = driver(second).launch(sub="9", role="faculty", course=None, extra=email, **ADVISOR)
    assert launch_row(app, lonely.lid)[0] == ana_b_id
    client, lid = admin_of(driver, first)
    page = client.get(f"/admin/identities/?lid={lid}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ana@school.example" in text and "Ana Alvarez" in text and "Ana A." in text
    form = {"lid": lid, "user_id": str(ana_b_id), "primary_id": str(ana_id)}
    refused = client.post("/admin/identities/link", data=form)  # no CSRF token
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 0
    done = client.post("/admin/identities/link", data=form | {"csrf_token": csrf_token(page)})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    with app.app_context():
        link = db.session.scalar(select(IdentityLink).where(IdentityLink.user_id == ana_b_id))
        assert link is not None and link.primary_user_id == ana_id
        audit = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == first.tenant_id, AuditEntry.action == "identity.link"
            )
        )
        assert audit is not None and audit.actor and audit.detail["user_id"] == ana_b_id
        assert audit.detail["primary_user_id"] == ana_id
        link_id = link.id
    # outside a course, the linked identity acts as the primary user
    linked = driver(second).launch(sub="9", role="faculty", course=None, extra=email, **ADVISOR)
    assert launch_row(app, linked.lid)[0] == ana_id
    # inside a course of its own LMS, the identity stays its own (grades name its LMS's id)
    in_course = driver(second).launch(sub="9", course=CONTEXT, name="Ana A.", extra=email)
    assert launch_row(app, in_course.lid)[0] == ana_b_id
    listed = client.get(f"/admin/identities/?lid={lid}")
    assert "Unlink" in listed.get_data(as_text=True)
    gone = client.post(
        f"/admin/identities/links/{link_id}/unlink",
        data={"lid": lid, "csrf_token": csrf_token(listed)},
    )
    assert gone.status_code == 303
    again = driver(second).launch(sub="9", role="faculty", course=None, extra=email, **ADVISOR)
    assert launch_row(app, again.lid)[0] == ana_b_id
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.tenant_id == first.tenant_id, AuditEntry.action == "identity.unlink"
            )
        )


def test_links_stay_between_two_lms_of_the_same_tenant(app, two_lms, driver):
    first, _second = two_lms
    a1 = launch_row(app, driver(first).launch(sub="p-1", course=CONTEXT).lid)[0]
    a2 = launch_row(app, driver(first).launch(sub="p-2", course=CONTEXT).lid)[0]
    client, lid = admin_of(driver, first)
    token = csrf_token(client.get(f"/admin/settings?lid={lid}"))
    same = client.post(
        "/admin/identities/link",
        data={"lid": lid, "csrf_token": token, "user_id": a2, "primary_id": a1},
    )
    assert same.status_code == 422
    assert "two different LMSs" in same.get_data(as_text=True)


def test_only_the_tenants_administrators_may_link(app, two_lms, make_platform, driver):
    first, second = two_lms
    ana = launch_row(app, driver(first).launch(sub="ana-a", course=CONTEXT).lid)[0]
    ana_b = launch_row(app, driver(second).launch(sub="ana-b", course=CONTEXT).lid)[0]
    # a student and an instructor of the tenant are refused
    for role in ("student", "faculty"):
        lti = driver(first)
        launched = lti.launch(sub=f"{role}-x", role=role, course=CONTEXT, follow=False)
        page = lti.client.get(f"/admin/identities/?lid={launched.lid}")
        assert page.status_code == 403, role
        posted = lti.client.post(
            "/admin/identities/link",
            data={"lid": launched.lid, "user_id": ana_b, "primary_id": ana},
        )
        assert posted.status_code in (400, 403), role
    # an administrator of another tenant cannot link (or even name) this tenant's identities
    other = make_platform()
    client, lid = admin_of(driver, other, sub="admin-other")
    page = client.get(f"/admin/identities/?lid={lid}")
    assert page.status_code == 200  # positive control: her own page works
    token = csrf_token(client.get(f"/admin/settings?lid={lid}"))  # her page has no form to take
    resp = client.post(
        "/admin/identities/link",
        data={"lid": lid, "csrf_token": token, "user_id": ana_b, "primary_id": ana},
    )
    assert resp.status_code == 404
    assert "no such person at your institution" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdentityLink)) == 0
    # and cannot remove this tenant's links
    own_client, own_lid = admin_of(driver, first)
    own_page = own_client.get(f"/admin/settings?lid={own_lid}")
    made = own_client.post(
        "/admin/identities/link",
        data={
            "lid": own_lid,
            "csrf_token": csrf_token(own_page),
            "user_id": ana_b,
            "primary_id": ana,
        },
    )
    assert made.status_code == 303
    with app.app_context():
        link_id = db.session.scalar(select(IdentityLink.id).where(IdentityLink.user_id == ana_b))
    resp = client.post(
        f"/admin/identities/links/{link_id}/unlink",
        data={"lid": lid, "csrf_token": token},
    )
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(IdentityLink, link_id) is not None


# --- the migration ----------------------------------------------------------------------------


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own (SQLite, or PostgreSQL when TEST_DATABASE_URL names one)."""
    import os

    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/identities.db"
        return
    import psycopg

    name = f"cc_ident_{secrets.token_hex(4)}"
    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _insert(conn, table_name: str, **values):
    """Insert a row as the schema stands, filling required columns this test does not name."""
    import datetime as dt

    from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, Table

    table = Table(table_name, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = column.type
        if isinstance(kind, DateTime):
            row[column.name] = dt.datetime(2026, 1, 1)
        elif isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, Integer):
            row[column.name] = 0
        elif isinstance(kind, JSON):
            row[column.name] = {}
        else:
            row[column.name] = secrets.token_hex(6)
    return conn.execute(table.insert().values(row).returning(table.c.id)).scalar_one()


def test_the_migration_gives_existing_people_and_courses_their_lms(empty_database):
    import datetime as dt
    import importlib.util
    from pathlib import Path

    from flask_migrate import upgrade
    from sqlalchemy import text

    from lti_tool import create_app

    path = Path(__file__).resolve().parents[2] / "migrations/versions"
    [module_path] = path.glob("*_identities_per_lms.py")
    spec = importlib.util.spec_from_file_location("identities_migration", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision=module.down_revision)
        with db.engine.begin() as conn:
            # one LMS: a person who launched, one who never did, a course that was launched
            one = _insert(conn, "tenant", name="One LMS")
            reg = _insert(conn, "registration", tenant_id=one, issuer="https://moodle.one")
            launched = _insert(conn, "lti_user", tenant_id=one, sub="42", name="Ana")
            silent = _insert(conn, "lti_user", tenant_id=one, sub="43", name="Sid")
            course = _insert(conn, "course", tenant_id=one, context_id="7")
            _insert(
                conn,
                "launch",
                id="l" * 40,
                tenant_id=one,
                registration_id=reg,
                user_id=launched,
                course_id=course,
                role="student",
                message={},
                expires_at=dt.datetime(2026, 1, 2),
            )
            # two LMSs: the launches decide; without one, nothing can be said
            two = _insert(conn, "tenant", name="Two LMSs")
            _insert(conn, "registration", tenant_id=two, issuer="https://canvas.two")
            moodle = _insert(conn, "registration", tenant_id=two, issuer="https://moodle.two")
            known = _insert(conn, "lti_user", tenant_id=two, sub="42", name="Bo")
            unknown = _insert(conn, "lti_user", tenant_id=two, sub="44", name="Cy")
            _insert(
                conn,
                "launch",
                id="m" * 40,
                tenant_id=two,
                registration_id=moodle,
                user_id=known,
                role="student",
                message={},
                expires_at=dt.datetime(2026, 1, 2),
            )
        upgrade(revision=module.revision)
        issuers = dict(db.session.execute(text("SELECT id, issuer FROM lti_user")).all())
        assert issuers == {
            launched: "https://moodle.one",
            silent: "https://moodle.one",  # the tenant's only LMS
            known: "https://moodle.two",
            unknown: "",  # two LMSs and no launch: no evidence
        }
        assert db.session.execute(text("SELECT issuer FROM course")).scalar_one() == (
            "https://moodle.one"
        )
        # the new key holds: the other LMS of the tenant may now bring its own "42"
        db.session.add(User(tenant_id=two, issuer="https://canvas.two", sub="42", name="Di"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_an_lms_user_id_two_lms_share_is_refused_for_data_rights_never_guessed(
    app, two_lms, driver, runner
):
    """Export, pseudonymise and erase name one person: with two LMSs sending the same sub, the
    administrator's page and the operator's command refuse the bare id (nothing done) and the
    command takes --issuer to say which."""
    from tests.lti_tool.test_privacy import _admin, _choose

    first, second = two_lms
    for platform, name in ((first, "Ana First"), (second, "Ben Second")):
        driver(platform).launch(sub=SUB, course=CONTEXT, name=name, follow=False)
    with app.app_context():
        tenant = db.session.get(Tenant, first.tenant_id).name
    client, lid = _admin(driver, first)
    # Positive control: a unique id is found (the administrator's own).
    assert _choose(client, lid, "admin-privacy", "export").status_code == 200
    page = _choose(client, lid, SUB, "erase")
    assert page.status_code == 422
    assert "2 people at your institution match" in page.get_data(as_text=True)
    refused = runner.invoke(args=["privacy", "erase", "--tenant", tenant, "--user", SUB, "--yes"])
    assert refused.exit_code != 0
    assert "2 people have LMS user id '42'" in refused.output
    assert "Name the LMS with --issuer" in refused.output
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.sub == SUB, User.tenant_id == first.tenant_id)
            )
            == 2
        )
    erased = runner.invoke(
        args=["privacy", "erase", "--tenant", tenant, "--user", SUB, "--issuer", second.issuer,
              "--yes"]
    )  # fmt: skip
    assert erased.exit_code == 0, erased.output
    with app.app_context():
        left = db.session.scalars(
            select(User.name).where(User.sub == SUB, User.tenant_id == first.tenant_id)
        ).all()
    assert left == ["Ana First"]
