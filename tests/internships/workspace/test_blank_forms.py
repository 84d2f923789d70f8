"""An empty form rendered once per process (``BlankForm``, issue 16) renders what the form
itself renders, control by control, with the request's own CSRF token, and refuses to be
changed (a view that gives a form choices or errors uses a real one)."""

from __future__ import annotations

import pytest

from internships.work import forms as work_forms
from internships.workspace.blank_forms import BlankForm
from internships.workspace.messages.forms import FollowForm, MessageForm
from internships.workspace.rhythm.forms import CheckInForm
from lti_tool.form_rows import choice_group, field_row

# each form the engagement page shows empty, with the attributes the templates pass
SHOWN = {
    work_forms.HoursForm: {
        "work_date": [{}],
        "hours": [{"inputmode": "decimal"}],
        "description": [{"rows": 2}],
        "submit": [{"id": False, "class_": "button"}],
    },
    work_forms.DeliverableForm: {
        "title": [{}],
        "file": [{}],
        "url": [{"type": "url"}],
        "submit": [{"id": False, "class_": "button secondary"}],
    },
    work_forms.StatusForm: {"submit": [{"id": False, "class_": "button"}]},
    work_forms.SupervisorLinkForm: {"submit": [{"id": False, "class_": "button secondary"}]},
    FollowForm: {},
    MessageForm: {"body": [{"rows": 4}], "file": [{}], "submit": [{"class_": "button"}]},
    CheckInForm: {"done": [{"rows": 3}], "next": [{"rows": 3}], "blocker": [{"rows": 2}]},
}


def _options(field) -> list[tuple[str, str]]:
    return [(str(option()), str(option.label(class_="inline"))) for option in field]


@pytest.mark.parametrize("form_class", list(SHOWN), ids=lambda c: c.__name__)
def test_a_blank_form_renders_what_the_empty_form_renders(app, form_class):
    for _ in range(2):  # rendered, then kept
        with app.test_request_context("/"):
            real, blank = form_class(formdata=None), BlankForm(form_class)
            for name, extras in SHOWN[form_class].items():
                for extra in extras:
                    if name == "submit":
                        assert blank.submit(**extra) == real.submit(**extra)
                    else:
                        assert field_row(blank[name], extra) == field_row(real[name], extra)
            assert blank.csrf_token(id=False) == real.csrf_token(id=False)
            assert not blank.errors and not blank.form_errors


def test_radio_fields_render_their_options_and_groups(app):
    with app.test_request_context("/"):
        for form_class, name in (
            (CheckInForm, "blocked"),
            (work_forms.StatusForm, "action"),
            (work_forms.SupervisorLinkForm, "purpose"),
        ):
            real, blank = form_class(formdata=None), BlankForm(form_class)
            assert choice_group(blank[name]) == choice_group(real[name])
            assert _options(blank[name]) == _options(real[name])
            assert blank[name].choices == tuple(real[name].choices)
            assert blank[name].label.text == real[name].label.text
            assert blank[name].data is None and not blank[name].errors


def test_a_blank_form_refuses_changes(app):
    with app.test_request_context("/"):
        blank = BlankForm(work_forms.DeliverableForm)
        with pytest.raises(AttributeError, match="same for every request"):
            blank.revises.choices = [("1", "A revised version")]
        with pytest.raises(AttributeError, match="same for every request"):
            blank.title.errors = ["Give a title."]
        assert blank.revises.choices == ()
