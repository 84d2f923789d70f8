"""SQLite, the embedded default, never answers 500 under concurrency: the in-process outbox
runner writing (a sent email's outcome, its lease) while people's requests write waits its
turn, and so do they — no request fails with "database is locked".

The failure this guards against (issue 16): a request whose transaction begins before its first
write (a service's ``begin_nested``, on SQLite a ``BEGIN`` the tool emits itself) reads a
snapshot, then meets the runner's commit at its first write: SQLite cannot wait there (the
snapshot is stale) and answers "database is locked" at once. The first test forces exactly
that interleaving on a supervisor's "accept" through the signed link; the second runs the real
runner thread beside several people writing through the pages at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from internships.work.models import Application, Engagement, HourLog
from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.jobs.models import PENDING, SENDING, OutboxMessage
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token
from tests.internships.test_mail_outbox import SmtpSink, smtp  # noqa: F401 - the fixture
from tests.internships.work.conftest import COMPETENCIES, make_world
from tests.internships.work.helpers import (
    accept_via_advisor,
    acknowledge_on_page,
    last_link,
    public_client,
    submit_application,
    the_application,
)

WAIT_S = 60  # a safety net for a broken run, never a pause: every wait below ends on an event


@pytest.fixture
def world(school, seed_listing) -> dict[str, Any]:
    return make_world(school, seed_listing, COMPETENCIES)


@pytest.fixture(autouse=True)
def _only_this_tests_messages(app) -> None:
    """The runner here drains only what the test queues: messages earlier tests left pending
    (a score for a made-up gradebook, which fails) come due after the test, not during it."""
    with app.app_context():
        later = dt.datetime(2100, 1, 1)
        waiting = update(OutboxMessage).where(OutboxMessage.status == PENDING)
        db.session.execute(waiting.values(next_attempt_at=later))
        leased = update(OutboxMessage).where(OutboxMessage.status == SENDING)
        db.session.execute(leased.values(lease_expires_at=later))  # never swept back meanwhile
        db.session.commit()


def _sqlite_path(app) -> str | None:
    """The SQLite database file; None on PostgreSQL."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return str(url.database) if url.get_backend_name() == "sqlite" else None


def _write_lock_free(path: str | None) -> bool:
    """Whether another connection could take SQLite's write lock right now (asked without
    waiting: ``timeout=0``); on PostgreSQL, always (no single writer)."""
    if path is None:
        return True
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    finally:
        if probe.in_transaction:
            probe.execute("ROLLBACK")
        probe.close()
    return True


class _FirstReadInsideASavepoint:
    """On ``thread``'s connection: after the first SELECT that follows a SAVEPOINT (the request
    has read; it has not yet written), let the runner commit if it can, and wait for that."""

    def __init__(self, path: str | None, thread: int, runner_wrote: threading.Event) -> None:
        self.path, self.thread, self.runner_wrote = path, thread, runner_wrote
        self.read = threading.Event()
        self.cut_in: bool | None = None
        self._savepoint = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() != self.thread or self.read.is_set():
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb == "SAVEPOINT":
            self._savepoint = True
        elif verb == "SELECT" and self._savepoint:
            self.read.set()  # the runner records its outcome now, if it can
            self.cut_in = _write_lock_free(self.path)
            if self.cut_in:  # nothing stops the runner: wait until it has committed
                assert self.runner_wrote.wait(WAIT_S), "the runner never committed"


def test_the_runner_commits_between_a_supervisors_read_and_write(app, world, smtp):  # noqa: F811
    path = _sqlite_path(app)
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub, world["listing"])
    advisor = world["advisor"]
    page = advisor.client.get(f"/work/listings/{world['listing']}/applicants?lid={advisor.lid}")
    resp = advisor.client.post(
        f"/work/listings/{world['listing']}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": "",
        },
    )
    assert resp.status_code == 303  # the link's email is queued for the runner
    link = last_link(app, "sam@acme.example", "select")
    supervisor = public_client(app)
    form = supervisor.get(link)
    assert form.status_code == 200

    runner_wrote = threading.Event()
    hook = _FirstReadInsideASavepoint(path, threading.get_ident(), runner_wrote)
    runner_ident: list[int] = []

    def runner_records(_msg_id: int) -> None:  # the drain's hook before it records outcomes
        assert hook.read.wait(WAIT_S), "the supervisor's request never read"

    def committed(_session: Session) -> None:
        if runner_ident and threading.get_ident() == runner_ident[0] and hook.read.is_set():
            runner_wrote.set()

    def run() -> None:
        runner_ident.append(threading.get_ident())
        stats.append(jobs.drain(app, max_rows=1, before_record=runner_records))

    stats: list[jobs.DrainStats] = []
    runner = threading.Thread(target=run, name="outbox-runner-under-test")
    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", hook)
    event.listen(Session, "after_commit", committed)
    try:
        runner.start()
        resp = supervisor.post(
            link,
            data={"csrf_token": csrf_token(form), f"decision-{application.id}": "accept"},
        )
        runner.join(WAIT_S)
    finally:
        event.remove(engine, "after_cursor_execute", hook)
        event.remove(Session, "after_commit", committed)
    assert hook.read.is_set() and not runner.is_alive()
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    assert "1 decision recorded" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
        assert db.session.get(Application, application.id).status == "accepted"
    assert stats and stats[0].sent == 1  # the runner's write landed too
    assert len(smtp.messages) == 1


class _Errors(logging.Handler):
    """What the runner logged at WARNING or above (a drain or a sender that met a lock)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def runner_thread(app) -> Iterator[tuple[jobs.Runner, _Errors]]:
    """The real in-process runner (``JOB_RUNNER = "thread"``'s), woken by every commit that
    queues a message, for the length of a test; and what it logs as a problem."""
    errors = _Errors()
    logger = logging.getLogger("career_credit.jobs")
    logger.addHandler(errors)
    runner = jobs.Runner(app, interval_s=0.05)
    app.extensions["outbox_runner"] = runner
    runner.start()
    try:
        yield runner, errors
    finally:
        runner.stop()
        app.extensions.pop("outbox_runner", None)
        logger.removeHandler(errors)


def _selection_link(app, world, listing_id: int) -> tuple[Any, str, str]:
    """A supervisor's browser on the listing's selection page: (browser, link, CSRF token)."""
    advisor = world["advisor"]
    page = advisor.client.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    advisor.client.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": "",
        },
    )
    link = last_link(app, "sam@acme.example", "select")
    browser = public_client(app)
    return browser, link, csrf_token(browser.get(link))


def _engagement_of(app, application_id: int) -> int | None:
    with app.app_context():
        return db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application_id)
        )


def test_people_write_while_the_runner_delivers_and_nothing_fails(
    app,
    world,
    seed_listing,
    smtp,  # noqa: F811
    runner_thread,
):
    """Supervisors accepting through their links, an advisor accepting, a student logging
    hours, all at once (started on a barrier), while the runner delivers the emails each of
    them queues: every answer is the page's own (no 500), every write is there afterwards, and
    the runner met no lock either."""
    school, tenant = world["school"], world["school"].tenant_id
    worker = world["student"]
    submit_application(worker, world["listing"])
    worker_application = the_application(app, worker.sub, world["listing"]).id
    accept_via_advisor(world, worker_application)
    engagement_id = _engagement_of(app, worker_application)
    assert engagement_id
    acknowledge_on_page(worker, engagement_id)  # hours count from the acknowledgement
    decisions: list[tuple[Any, str, str, int]] = []  # by a supervisor: browser, link, token, id
    by_advisor: list[int] = []
    for n in range(6):
        listing = seed_listing(tenant, title=f"Project {n}", employer=f"Employer {n}")
        student = school.person("student")
        submit_application(student, listing)
        application_id = the_application(app, student.sub, listing).id
        if n < 3:
            decisions.append((*_selection_link(app, world, listing), application_id))
        else:
            by_advisor.append(application_id)
    emails_before = _last_email(app)
    barrier = threading.Barrier(len(decisions) + 2)
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def answered(what: str, resp: Any) -> None:
        with lock:
            answers.append((what, resp.status_code))

    def supervisor(browser: Any, link: str, token: str, application_id: int) -> None:
        barrier.wait()
        data = {"csrf_token": token, f"decision-{application_id}": "accept"}
        answered("supervisor accept", browser.post(link, data=data))

    def advisor() -> None:
        barrier.wait()
        for application_id in by_advisor:
            answered("advisor accept", accept_via_advisor(world, application_id))

    def hours() -> None:
        url = f"/work/engagements/{engagement_id}"
        token = csrf_token(worker.client.get(f"{url}?lid={worker.lid}"))
        barrier.wait()
        for n in range(3):
            data = {
                "lid": worker.lid,
                "csrf_token": token,
                "work_date": dt.date.today().isoformat(),
                "hours": "1",
                "description": f"Interview round {n}",
            }
            answered("hours", worker.client.post(f"{url}", data={**data, "form": "hours"}))

    threads = [threading.Thread(target=supervisor, args=d) for d in decisions]
    threads += [threading.Thread(target=advisor), threading.Thread(target=hours)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(answers) == sorted(
        [("supervisor accept", 200)] * len(decisions)
        + [("advisor accept", 200)] * len(by_advisor)  # the redirect followed
        + [("hours", 303)] * 3
    )
    accepted = [d[3] for d in decisions] + by_advisor
    assert all(_engagement_of(app, application_id) for application_id in accepted)
    with app.app_context():
        logged = db.session.scalar(
            select(func.count()).where(HourLog.engagement_id == engagement_id)
        )
    assert logged == 3
    runner, runner_errors = runner_thread
    runner.stop()  # it finishes the drain it is in
    assert not runner.thread.is_alive()
    jobs.drain(app)  # whatever it had not reached yet
    with app.app_context():
        sent = db.session.execute(
            select(EmailMessage.sent_at.is_not(None), func.count())
            .where(EmailMessage.tenant_id == tenant, EmailMessage.id > emails_before)
            .group_by(EmailMessage.sent_at.is_not(None))
        ).all()
    assert dict(sent).get(False, 0) == 0  # every email queued meanwhile was delivered
    assert dict(sent).get(True, 0) >= len(accepted)  # one to each accepted student at least
    assert not [r.getMessage() for r in runner_errors.records]


def _last_email(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.max(EmailMessage.id))) or 0)
