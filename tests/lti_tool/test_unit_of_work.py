"""One unit of work per request (``lti_tool/unit_of_work.py``): services never commit, a GET
writes nothing, a view that fails or refuses leaves nothing behind."""

from __future__ import annotations

import ast
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint
from sqlalchemy import event

from tests.helpers import ADVISOR_RULE

ROLES = ("student", "faculty", "ta", "advisor", "observer", "admin")  # as the access matrix

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lti_tool", "internships", "credit", "accreditation", "connectors")

# Modules that are not requests: CLI commands, job runners and the demo LMS (a separate
# platform) commit their own work. Each entry says why; a module under services/ is listed only
# when it is a job runner (it must not be called from a view).
MAY_COMMIT = {
    "lti_tool/keys/commands.py": "CLI",
    "lti_tool/privacy/commands.py": "CLI",
    "lti_tool/jobs/commands.py": "CLI",
    "lti_tool/lti/commands.py": "CLI",
    "lti_tool/registration/commands.py": "CLI",
    "internships/commands.py": "CLI",
    "credit/commands.py": "CLI",
    "accreditation/frameworks/commands.py": "CLI",
    "lti_tool/jobs/delivery.py": "the outbox's job runner",
    "lti_tool/jobs/drain.py": "the outbox's job runner (its reads end with a commit)",
    "lti_tool/settings.py": "a new PostgreSQL connection's plan_cache_mode (no request yet)",
    "lti_tool/celery_app.py": "the Celery worker",
    "lti_tool/privacy/retention.py": "the retention job, batch by batch",
    "lti_tool/tasks/lifecycle.py": "the background tasks' runner (its claim)",
    "internships/services/jobs.py": "the listing-import job runner, batch by batch",
    "accreditation/attainment/exports.py": "the export job runner, batch by batch",
    "accreditation/writeback/senders.py": "outbox senders (run by the job runner)",
    "lti_tool/notify/mail.py": "the mail sender (run by the job runner)",
    "accreditation/evidence/services.py": "the evidence-sync tick hook (a job runner)",
    "accreditation/credentials/issuance/batch.py": "the credential tick hook and task kind "
    "(a job runner), chunk by chunk",
    "internships/workspace/messages/emails.py": "the message-email tick hook (a job runner)",
    "internships/employers/pay/services/overdue.py": "the overdue tick hook (a job runner)",
    "accreditation/reports/keeping.py": "the work pool's kept figures (a job)",
    "internships/workspace/rhythm/reminders.py": "the reminders tick hook (a job runner)",
    "lti_tool/messages.py": "a launch's flashed messages, after the request's own commit",
    "lti_tool/lti/rosters.py": "the roster reader: its claim before the LMS call, its result after",
    "lti_tool/unit_of_work.py": "the request handler itself",
    "lti_tool/sandbox/seed.py": "the demo LMS (a separate platform)",
    "lti_tool/sandbox/services/scores.py": "the demo LMS (a separate platform): injected faults",
    "lti_tool/sandbox/tokens.py": "the demo LMS (a separate platform)",
    "lti_tool/sandbox/api.py": "the demo LMS (a separate platform)",
    "lti_tool/sandbox/views.py": "the demo LMS (a separate platform)",
}

# Pages that still write on a first visit: none (a tenant's built-ins are set up by the
# tenant set-up hooks, lti_tool/tenants.py, at its creation and at each launch).
FIRST_USE_WRITES: set[str] = set()

# Written by a request whatever it does: the bookkeeping of a launch (rate limits are counted
# outside the database; no main page audits a read today: ``audit_entry`` is not listed).
BOOKKEEPING = {
    "launch_message",  # flashed messages of a launch: display state, stored after the request
}


def _modules() -> list[Path]:
    found: list[Path] = []
    for package in PACKAGES:
        found.extend(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)
    return sorted(found)


def _is_cli(node: ast.AST) -> bool:
    """A function declared as a click command (``@click.command``, ``@bp.cli.command``...)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
            return True
    return False


def _commits(path: Path) -> list[int]:
    """Lines of ``.commit(`` calls outside click commands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines: list[int] = []

    def visit(node: ast.AST) -> None:
        if _is_cli(node):
            return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
        ):
            lines.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return sorted(lines)


def test_only_requests_handler_cli_and_jobs_commit():
    """Services flush; a view leaves the commit to the request handler (``commit_now()`` is
    the greppable opt-out at a network boundary); only the modules in MAY_COMMIT commit."""
    offenders = []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        if name in MAY_COMMIT:
            continue
        offenders.extend(f"{name}:{line}" for line in _commits(path))
    assert offenders == [], "commit in a service or view: " + ", ".join(offenders)


def test_no_service_module_commits():
    """Stricter for services: none is in MAY_COMMIT but a job runner named so."""
    for name, why in MAY_COMMIT.items():
        if "/services/" in name or name.endswith("services.py"):
            assert "job runner" in why or "demo LMS" in why, name


def test_may_commit_lists_only_modules_that_exist():
    for name in MAY_COMMIT:
        assert (ROOT / name).exists(), name


# --- a GET writes nothing -------------------------------------------------------------------


_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)


class WriteCounter:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _WRITE.match(statement)
        if match and match.group(2).lower() not in BOOKKEEPING:
            self.writes.append(f"{match.group(1).split()[0].upper()} {match.group(2)}")


def _main_pages(app) -> list[str]:
    """Every GET page of a role that takes no argument in its path."""
    pages = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is None or not getattr(view, "required_roles", ()) or rule.arguments:
            continue
        if "GET" in rule.methods and not rule.endpoint.endswith(("export", "download")):
            pages.append(rule.rule)
    return sorted(pages)


def _launch(make_platform, driver, role: str) -> tuple[Any, str]:
    """A client and launch id of ``role`` in a new school of its own (as the access matrix's
    launches: an advisor by the tenant's claim rule, admin and advisor without a course)."""
    custom, launch_role = {}, role
    if role == "advisor":
        custom, launch_role = {"career_credit_role": "advisor"}, "faculty"
    lti = driver(make_platform(tenant_settings=ADVISOR_RULE))
    launched = lti.launch(
        sub=f"uow-{role}",
        role=launch_role,
        custom=custom,
        follow=False,
        course=None if role in ("admin", "advisor") else "course-1",
    )
    return lti.client, launched.lid


def test_every_main_page_writes_nothing_for_every_role(app, make_platform, driver):
    from lti_tool.extensions import db

    callers = {role: _launch(make_platform, driver, role) for role in ROLES}
    pages = _main_pages(app)
    assert "/credit/course" in pages and "/home/" in pages
    with app.app_context():
        engine = db.engine
    found = []
    for round_ in ("first visit", "second visit"):
        for role, (client, lid) in callers.items():
            for url in pages:
                counter = WriteCounter()
                event.listen(engine, "before_cursor_execute", counter)
                try:
                    resp = client.get(url, query_string={"lid": lid})
                    resp.close()  # a streamed download ends here, not when collected later
                finally:
                    event.remove(engine, "before_cursor_execute", counter)
                assert resp.status_code < 500, (role, url, resp.status_code)
                if counter.writes and url not in FIRST_USE_WRITES:
                    found.append(f"{round_} {role} GET {url}: {sorted(set(counter.writes))}")
    assert found == [], "\n".join(found)


def test_the_key_sets_write_nothing_from_a_new_installations_first_request(tmp_path):
    """``GET /lti/jwks`` and ``/lti/jwks/<key set id>`` only read, even as the first requests of
    a new installation: a tenant's key is made with the tenant, and the installation's legacy
    key by the set-up of a tenant that signs with it (or ``flask keys rotate``)."""
    from flask_migrate import upgrade

    from lti_tool import create_app, keys
    from lti_tool.actor import Actor
    from lti_tool.extensions import db
    from lti_tool.models import Tenant
    from lti_tool.registration.services.tenants import create_tenant

    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/new.db")
    with app.app_context():
        upgrade(revision="heads")
        engine = db.engine
        tenant = create_tenant(Actor.cli(), "Key Set U")
        db.session.commit()
        tenant_id, key_set_id = tenant.id, tenant.key_set_id
    client = app.test_client()

    def read(url: str) -> tuple[list[str], list[str]]:
        counter = WriteCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            resp = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        assert resp.status_code == 200, url
        return [key["kid"] for key in resp.get_json()["keys"]], counter.writes

    assert read("/lti/jwks") == ([], [])  # no tenant signs with the installation's keys
    own, writes = read(f"/lti/jwks/{key_set_id}")
    assert len(own) == 1 and writes == []
    with app.app_context():  # a tenant from before per-tenant keys, set up at its next launch
        db.session.get(Tenant, tenant_id).legacy_keys = True
        keys._KEYED.clear()  # by a process that has not seen it yet (legacy only ever ends)
        keys.set_up_tenant(tenant_id)
        db.session.commit()
    legacy, writes = read("/lti/jwks")
    assert len(legacy) == 1 and writes == []
    assert read(f"/lti/jwks/{key_set_id}") == (own, [])  # its own key signs already


# --- a failed or refused request leaves nothing -----------------------------------------------


@pytest.fixture(scope="module")
def probe_app(app, database_url):
    """An app of its own (same database and settings) with this test's probe views: a view
    flushes a change and then fails, refuses with 422, refuses with a redirect, or answers."""
    from lti_tool import create_app

    probe = create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url)
    probe.register_blueprint(_probe_blueprint(probe))
    return probe


def _probe_blueprint(app) -> Blueprint:
    from lti_tool.auth import public
    from lti_tool.extensions import csrf, db
    from lti_tool.models import Tenant

    bp = Blueprint("uow_probe", __name__, url_prefix="/_uow_probe")

    def _rename(name: str) -> None:
        tenant = db.session.get(Tenant, app.config["_UOW_TENANT"])
        tenant.name = name
        db.session.flush()

    @bp.post("/fails")
    @csrf.exempt
    @public
    def fails():
        _rename("changed by a failing view")
        raise RuntimeError("after a flush")

    @bp.post("/refuses")
    @csrf.exempt
    @public
    def refuses():
        _rename("changed by a refused form")
        return "refused", 422

    @bp.post("/refuses-with-redirect")
    @csrf.exempt
    @public
    def refuses_with_redirect():
        from lti_tool.errors import PolicyViolationError
        from lti_tool.unit_of_work import refused

        _rename("changed by a refused action")
        return refused(PolicyViolationError("No."), "ops.index")

    @bp.post("/succeeds")
    @csrf.exempt
    @public
    def succeeds():
        _rename(f"uow changed {app.config['_UOW_TENANT']}")
        return "ok"

    return bp


@pytest.fixture
def probe(probe_app):
    """A tenant of its own, named "uow original"; the probe views rename it."""
    import secrets

    from lti_tool.extensions import db
    from lti_tool.models import Tenant

    with probe_app.app_context():
        tenant = Tenant(name="uow original", key_set_id=secrets.token_hex(8))
        tenant.name = f"uow original {tenant.key_set_id}"
        db.session.add(tenant)
        db.session.commit()
        probe_app.config["_UOW_TENANT"] = tenant.id
        return tenant.id


def _tenant_name(app, tenant_id: int) -> str:
    """The tenant's name as stored."""
    from lti_tool.extensions import db
    from lti_tool.models import Tenant

    with app.app_context():
        db.session.expire_all()
        return str(db.session.get(Tenant, tenant_id).name)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/_uow_probe/fails", 500),
        ("/_uow_probe/refuses", 422),
        ("/_uow_probe/refuses-with-redirect", 303),
    ],
)
def test_a_failed_or_refused_request_writes_nothing(probe_app, probe, path, status):
    resp = probe_app.test_client().post(path)
    assert resp.status_code == status
    assert _tenant_name(probe_app, probe).startswith("uow original ")


def test_a_request_that_answers_is_committed_once(probe_app, probe):
    from lti_tool.extensions import db

    app = probe_app
    with app.app_context():
        engine = db.engine
    commits: list[int] = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        resp = app.test_client().post("/_uow_probe/succeeds")
    finally:
        event.remove(engine, "commit", listener)
    assert resp.status_code == 200
    assert _tenant_name(app, probe) == f"uow changed {probe}"
    assert len(commits) == 1


def test_a_savepoint_taken_before_any_write_is_undone_by_the_rollback(app):
    """A service's ``begin_nested`` as the request's first write (a course policy created on the
    first award, say) stays inside the request's transaction on SQLite too: the refusal that
    follows takes it back."""
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.models import AuditEntry

    marker = f"savepoint-probe-{secrets.token_hex(4)}"
    with app.app_context():
        db.session.scalar(select(func.count()).select_from(AuditEntry))  # a read first, as views do
        with db.session.begin_nested():
            db.session.add(AuditEntry(actor="tests", action=marker[:64]))
        db.session.rollback()
        found = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == marker[:64])
        )
    assert found == 0
