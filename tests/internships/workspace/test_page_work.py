"""The template work of the student's engagement page (issue 16): the macro templates are
imported once for the page and its workspace panels (a panel imports only what its page
lacks), no form is built that the page does not show (nor, on a GET, one it shows empty), and
every form still carries the CSRF token and the launch id, rendered once for the page."""

from __future__ import annotations

import re

from jinja2.environment import Template

from lti_tool.forms import CheckedForm
from tests.helpers import record_made
from tests.internships.work.helpers import engaged

# base, layout and the page's own (_ui, _macros, the timeline, the hours review, the plan's
# parties) plus the messages panel's list: none imported again by a panel
PAGE_IMPORTS = 9


def _page(world, engagement_id: int) -> str:
    student = world["student"]
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_panels_import_no_macro_template_the_page_imported(app, world, monkeypatch):
    engagement_id = engaged(app, world)
    _page(world, engagement_id)  # templates compiled
    imported: list[str] = []
    real = Template._get_default_module

    def counting(self, ctx=None):
        imported.append(self.name)
        return real(self, ctx)

    monkeypatch.setattr(Template, "_get_default_module", counting)
    html = _page(world, engagement_id)
    assert "Weekly check-ins" in html and "Onboarding checklist" in html
    assert len(imported) <= PAGE_IMPORTS, imported
    assert len(imported) == len(set(imported)), imported


# forms whose fields the student's page does not show: their buttons' CSRF token is the
# request's (Flask-WTF's, the same in every form), rendered without a form object
UNSHOWN = {"SupervisorLinkForm", "ButtonForm", "TickForm", "MilestoneForm", "RemoveForm"}


def test_the_student_s_page_builds_no_form_it_does_not_show(app, world, monkeypatch):
    engagement_id = engaged(app, world)
    built = record_made(monkeypatch, CheckedForm)
    _page(world, engagement_id)  # the empty forms it shows, built once per process at most
    assert not UNSHOWN & set(built), built
    built.clear()
    html = _page(world, engagement_id)
    assert built == [], built  # shown empty: rendered as kept (``workspace.blank_forms``)
    assert 'name="work_date"' in html and 'name="body"' in html and 'name="blocked"' in html
    posts = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert any('value="checklist.tick"' in form for form in posts)
    for form in posts:
        assert 'name="csrf_token"' in form, form[:200]
