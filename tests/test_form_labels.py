"""Every form control has exactly one label, and no id repeats on a page (issue 17, "Words
and documents": the "Deny credit" reason box shared its id with "Ask for changes" and had no
label of its own; axe missed it).

Each page a role can open that holds a form is rendered through the test client after real
signed launches (public pages — a supervisor's or an invited employer's — through their
links) and parsed with the standard library's HTMLParser: every input, select and textarea
other than hidden inputs and buttons must have exactly one label — a ``<label for=its id>``,
a ``<label>`` around it, or ``aria-label``/``aria-labelledby`` — and every id on the page is
unique. A form that failed validation is checked too: its error messages sit beside the
controls."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from accreditation.frameworks.services import create_from_template
from internships.supervisor.links import issue_link
from internships.work.models import HourLog
from internships.work.services.engagements import acknowledge_agreement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Registration
from tests.credit.conftest import give_work
from tests.helpers import Person, csrf_token
from tests.internships.work.helpers import accept, apply
from tests.internships.work.test_invitations import invite

CONTROLS = ("input", "select", "textarea")
NOT_LABELLED = ("hidden", "submit", "button", "reset", "image")  # a button names itself


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    wrapping_labels: list[int]  # the labels the control sits inside (their index)

    def __str__(self) -> str:
        name = self.attrs.get("name", "")
        ident = self.attrs.get("id", "")
        kind = self.attrs.get("type", "") if self.tag == "input" else ""
        return f"<{self.tag}{' type=' + kind if kind else ''} name={name!r} id={ident!r}>"


@dataclass
class FormAudit(HTMLParser):
    """The page's controls, its labels (what each is ``for``) and every id it uses."""

    controls: list[Control] = field(default_factory=list)
    label_for: list[str | None] = field(default_factory=list)
    ids: Counter[str] = field(default_factory=Counter)
    open_labels: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids[values["id"]] += 1
        if tag == "label":
            self.label_for.append(values.get("for"))
            self.open_labels.append(len(self.label_for) - 1)
        elif tag in CONTROLS and values.get("type", "").lower() not in NOT_LABELLED:
            self.controls.append(Control(tag, values, list(self.open_labels)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "label":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels.pop()


def form_problems(html: str) -> list[str]:
    """What breaks the rule on this page: controls without exactly one label, repeated ids,
    labels or aria-labelledby naming no element."""
    audit = FormAudit()
    audit.feed(html)
    audit.close()
    problems = [f"id {i!r} is used {n} times" for i, n in audit.ids.items() if n > 1]
    for n, target in enumerate(audit.label_for):
        if target is not None and not audit.ids.get(target):
            problems.append(f"label #{n} is for {target!r}, which no element has")
    for control in audit.controls:
        ident = control.attrs.get("id")
        labels = set(control.wrapping_labels)
        if ident and audit.ids[ident] == 1:
            labels |= {n for n, target in enumerate(audit.label_for) if target == ident}
        names = len(labels)
        if control.attrs.get("aria-label", "").strip():
            names += 1
        if control.attrs.get("aria-labelledby", "").strip():
            names += 1
            missing = [i for i in control.attrs["aria-labelledby"].split() if not audit.ids[i]]
            if missing:
                problems.append(f"{control} is labelled by {missing}, which no element has")
        if names != 1:
            problems.append(f"{control} has {names} labels")
    return problems


# --- the checker itself --------------------------------------------------------------------------


def test_the_checker_accepts_each_way_of_labelling_a_control():
    page = """
    <label for="a">A</label><input id="a" name="a">
    <label>B <select name="b"><option>x</option></select></label>
    <textarea name="c" aria-label="C"></textarea>
    <span id="d-name">D</span><input name="d" type="checkbox" aria-labelledby="d-name">
    <input type="hidden" name="lid" id="lid"><button type="submit">Go</button>
    <input type="submit" value="Save">
    """
    assert form_problems(page) == []


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ('<input id="a" name="a">', "<input name='a' id='a'> has 0 labels"),
        (
            '<label for="m">One</label><textarea id="m" name="m"></textarea>'
            '<label for="m">Two</label><textarea id="m" name="n"></textarea>',
            "id 'm' is used 2 times",
        ),
        (
            '<label for="e">E</label><input id="e" name="e" aria-label="Also E">',
            "<input name='e' id='e'> has 2 labels",
        ),
        (
            '<label>F <input id="f" name="f"></label><label for="f">F again</label>',
            "<input name='f' id='f'> has 2 labels",
        ),
        ('<label for="nothing">G</label>', "label #0 is for 'nothing', which no element has"),
        (
            '<input name="h" aria-labelledby="gone">',
            "<input name='h' id=''> is labelled by ['gone'], which no element has",
        ),
    ],
)
def test_the_checker_finds_each_problem(page, problem):
    assert problem in form_problems(page)


# --- the pages ----------------------------------------------------------------------------------


@dataclass
class World:
    student: Person  # an acknowledged engagement (hours, deliverables, reflection) and one not
    finished: Person  # finished work, ready for the instructor's review
    faculty: Person
    advisor: Person
    admin: Person
    ids: dict[str, Any]


def _admin(school: Any) -> Person:
    lti = school.driver(school.platform)
    launched = lti.launch(sub="admin-forms", role="admin", course=None, follow=False)
    return Person(lti.client, launched.lid, "admin-forms")


@pytest.fixture
def world(app, school, seed_listing) -> World:
    student, finished = school.person("student"), school.person("student")
    faculty, advisor, admin = school.person("faculty"), school.person("advisor"), _admin(school)
    listing = seed_listing(school.tenant_id, competencies=["Teamwork", "Communication"])
    second = seed_listing(school.tenant_id, employer="Beta Labs", title="Data sprint")
    unapplied = seed_listing(school.tenant_id, employer="Gamma Co", title="Field survey")
    with app.app_context():
        ctx = student.ctx()
        actor = Actor(school.tenant_id, "tests")
        engagement = accept(ctx, listing)
        acknowledge_agreement(ctx, engagement.id)
        unacknowledged = accept(ctx, second, override_reason="A second project, approved.")
        db.session.add(
            HourLog(
                tenant_id=ctx.tenant_id,
                engagement_id=engagement.id,
                student_id=ctx.user_id,
                work_date=dt.date.today() - dt.timedelta(days=1),
                minutes=90,
                description="Survey cleaning",
                status="pending",
            )
        )
        program = create_from_template(actor, "abet", "ABET outcomes", "BSCS")
        done = give_work(finished.ctx(), hours=45)
        apply(finished.ctx(), unapplied)  # an applicant for the employer to select
        tokens = {
            "hours": issue_link(actor, "confirm_hours", engagement.id, "sam@acme.example"),
            "evaluate": issue_link(actor, "evaluate", engagement.id, "sam@acme.example"),
            "select": issue_link(actor, "select_applicants", unapplied, "sam@acme.example"),
        }
        ids = {
            "listing": listing,
            "unapplied": unapplied,
            "engagement": engagement.id,
            "unacknowledged": unacknowledged.id,
            "done": done.id,
            "finished": finished.ctx().user_id,
            "registration": db.session.scalar(
                select(Registration.id).where(Registration.tenant_id == school.tenant_id)
            ),
            "framework": program.id,
            "item": program.items[0].id,
            **tokens,
        }
        db.session.commit()
    ids["invitation"] = invite(app, advisor)
    return World(student, finished, faculty, advisor, admin, ids)


def opened(person: Person, path: str) -> str:
    sep = "&" if "?" in path else "?"
    resp = person.client.get(f"{path}{sep}lid={person.lid}")
    if resp.status_code != 200:
        return f"STATUS {resp.status_code}"
    return resp.get_data(as_text=True)


def check(pages: dict[str, str]) -> None:
    """Each page opened, holds a form, and labels every control of it once."""
    found = {
        path: [html]
        if html.startswith("STATUS")
        else ["no form"]
        if "<form" not in html
        else form_problems(html)
        for path, html in pages.items()
    }
    failing = {path: problems for path, problems in found.items() if problems}
    assert failing == {}, "\n".join(f"{path}: {problems}" for path, problems in failing.items())


def test_the_students_forms_label_every_control(world: World):
    ids, student = world.ids, world.student
    paths = [
        f"/work/engagements/{ids['engagement']}",  # hour log and deliverables
        f"/work/engagements/{ids['engagement']}/reflection",
        f"/work/apply/{ids['unapplied']}",
        "/profile/",
        f"/evidence/self-assessment/{ids['engagement']}",
        "/internships/",
    ]
    pages = {path: opened(student, path) for path in paths}
    pages[f"/credit/engagements/{ids['done']}/course"] = opened(
        world.finished, f"/credit/engagements/{ids['done']}/course"
    )
    engagement = pages[f"/work/engagements/{ids['engagement']}"]
    for name in ("work_date", "hours", "description", "title", "url", "file"):
        assert f'name="{name}"' in engagement, name  # the hour log and deliverable forms
    check(pages)


def test_the_instructors_forms_label_every_control(world: World):
    faculty, ids = world.faculty, world.ids
    paths = [
        f"/credit/students/{ids['finished']}",  # Award, Ask for changes, Deny credit
        "/credit/policy",
        "/credit/bulk",
        "/credit/column",
        "/work/caps",
        f"/evidence/ratings/{ids['engagement']}",  # competency ratings
    ]
    pages = {path: opened(faculty, path) for path in paths}
    review = pages[f"/credit/students/{ids['finished']}"]
    for legend in ("Award credit", "Ask for changes", "Deny credit"):
        assert f"<legend>{legend}</legend>" in review
    check(pages)


def test_the_advisors_forms_label_every_control(world: World):
    advisor, ids = world.advisor, world.ids
    paths = [
        f"/reports/students/{ids['finished']}",  # notes
        "/reports/settings",  # at-risk thresholds
        "/reports/students",
        "/internships/new",
        f"/internships/{ids['listing']}/edit",
        "/internships/invitations",
        "/internships/import",
        f"/work/listings/{ids['listing']}/applicants",
        f"/work/engagements/{ids['unacknowledged']}/agreement",
        "/work/cpt",
        "/profile/import",
        "/frameworks/",
        "/frameworks/import",
        f"/frameworks/{ids['framework']}",
        f"/frameworks/items/{ids['item']}",
        "/attainment/program",
        "/attainment/exports",
        "/attainment/settings",
    ]
    check({path: opened(advisor, path) for path in paths})


def test_the_administrators_forms_label_every_control(world: World):
    admin, ids = world.admin, world.ids
    paths = [
        "/admin/registrations",  # the overview has no form of its own, only what waits
        "/admin/guides",
        f"/admin/connections/{ids['registration']}",
        "/admin/advisors",
        "/admin/frame-origins",
        "/admin/privacy",
        "/admin/settings",
        "/credit/defaults",
    ]
    check({path: opened(admin, path) for path in paths})


def test_supervisor_and_employer_forms_label_every_control(app, world: World):
    client = app.test_client()
    paths = [
        f"/supervisor/hours/{world.ids['hours']}",
        f"/supervisor/evaluate/{world.ids['evaluate']}",
        f"/supervisor/select/{world.ids['select']}",
        world.ids["invitation"],
    ]
    pages = {}
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, f"{path}: {resp.status_code}"
        pages[path] = resp.get_data(as_text=True)
    check(pages)


def test_forms_that_failed_validation_still_label_every_control(app, world: World):
    """Refused forms come back with their errors beside the controls, labels intact."""
    faculty, ids = world.faculty, world.ids
    review = f"/credit/students/{ids['finished']}"
    token = csrf_token(opened(faculty, review))
    pages = {}
    for action in ("deny", "changes", "award"):
        resp = faculty.client.post(
            review, data={"form": action, "lid": faculty.lid, "csrf_token": token}
        )
        assert resp.status_code == 422, (action, resp.status_code)
        pages[f"{review}#{action}"] = resp.get_data(as_text=True)
    assert 'id="deny-message-error"' in pages[f"{review}#deny"]  # the refusal is beside its box
    employer = app.test_client()
    form_page = employer.get(ids["invitation"])
    refused = employer.post(ids["invitation"], data={"csrf_token": csrf_token(form_page)})
    assert refused.status_code == 422
    pages[ids["invitation"]] = refused.get_data(as_text=True)
    check(pages)


REQUIRED_MARK = '<span class="required">(required)</span></label>'


def test_the_employer_form_marks_its_required_fields(app, world: World):
    page = app.test_client().get(world.ids["invitation"]).get_data(as_text=True)
    for field_id in ("employer_name", "contact_name", "contact_email", "title", "openings"):
        label = re.search(rf'<label for="{field_id}">[^<]*(<span[^>]*>[^<]*</span>)?</label>', page)
        assert label, field_id
        assert label.group(0).endswith(REQUIRED_MARK), label.group(0)  # visibly, in words
        control = re.search(rf'<(input|textarea|select)\b[^>]*\bid="{field_id}"[^>]*>', page)
        assert control and re.search(r"\srequired[\s>=]", control.group(0)), field_id
    estimated = re.search(r'<label for="estimated_hours">.*?</label>', page)
    assert estimated and estimated.group(0).endswith(REQUIRED_MARK)
    summary = re.search(r'<label for="summary">[^<]*</label>', page)
    assert summary and "(required)" not in summary.group(0)  # an optional field is not marked
    box = re.search(r'<textarea[^>]*id="summary"[^>]*>', page)
    assert box and "required" not in box.group(0)
