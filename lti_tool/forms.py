"""The base of every form inside a launch.

CSRF is checked app-wide (Flask-WTF). When the LMS iframe blocks the session cookie, the CSRF
secret derives from the launch id the page carries (``lti_tool.web``), so forms need nothing
special; each must still carry the launch id in a hidden ``lid`` field.
"""

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.widgets import Select

# WTForms' messages for input it cannot read, in the words the rest of the tool uses.
PARSE_MESSAGES = {
    "Not a valid decimal value.": "Enter a number, like 2.5.",
    "Not a valid float value.": "Enter a number, like 2.5.",
    "Not a valid integer value.": "Enter a whole number, like 3.",
    "Not a valid date value.": "Enter a date, like 2026-12-31.",
    "Not a valid datetime value.": "Enter a date and time, like 2026-12-31 17:00.",
    "Not a valid choice.": "Choose one of the options offered.",
    "Not a valid choice": "Choose one of the options offered.",
    "This field is required.": "This is required.",
}


def one_message_per_problem(form: Any) -> None:
    """Each field shows one message per problem: input WTForms cannot read (a word in a number
    field) says only that, not also what the validators then find (its value is missing or
    out of range); a message given twice is shown once; WTForms' own wording is the tool's."""
    for field in form:
        if not field.errors or not isinstance(field.errors, list):
            continue
        messages = [field.process_errors[0]] if field.process_errors else field.errors
        plain = [_plain(str(m)) for m in messages]
        field.errors = list(dict.fromkeys(plain))


def _plain(message: str) -> str:
    if message.endswith("is not a valid choice.") or message.lower().startswith("invalid choice"):
        return PARSE_MESSAGES["Not a valid choice."]
    return PARSE_MESSAGES.get(message, message)


class CheckedForm(FlaskForm):
    """A Flask-WTF form whose refusals say one thing per problem (``one_message_per_problem``):
    the base of every form, inside a launch or on a signed link."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if not valid:
            one_message_per_problem(self)
        return valid


class LaunchForm(CheckedForm):
    """A Flask-WTF form used inside a launch."""


class ButtonForm(LaunchForm):
    """A button and nothing else (CSRF and the page's launch id): what it does and to what is
    named by the URL it posts to — confirm, withdraw, retry, revoke, pin, refresh."""


def strip_text(value: Any) -> Any:
    """WTForms filter: surrounding whitespace never counts as input."""
    return value.strip() if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _option_parts(value: str, label: str) -> tuple[str, str]:
    return f'value="{escape(value)}"', str(escape(label))


@functools.lru_cache(maxsize=8192)
def _checkbox(name: str, box_id: str, value: str, label: str, checked: bool) -> str:
    attrs, text = _option_parts(value, label)
    return (
        f'<li><input type="checkbox" name="{escape(name)}" {attrs} id="{escape(box_id)}"'
        f'{" checked" if checked else ""}> <label for="{escape(box_id)}">{text}</label></li>'
    )


class LongSelect(Select):
    """WTForms' ``Select`` for long lists of plain options (the 174 skills).

    Single: the same HTML as ``Select``. Multiple: a picker, since a 174-option multi-select
    loses every choice on a plain click and hides what is chosen. It is a fieldset (the
    field's label as its legend) of checkboxes in a scrolling list, after a line that names
    what is chosen ("Chosen: Excel, SQL"); it submits what the multi-select submitted, and
    works with the keyboard and without script. ``static/js/picker.js`` adds a text filter
    and keeps the "Chosen" line current. The field's description is not shown: the picker
    says how it is used. Each
    option's escaped HTML is kept per process (rendering the list was most of the board's
    template CPU)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if not self.multiple:
            return super().__call__(field, **kwargs)
        return picker(field)

    @classmethod
    def render_option(cls, value: Any, label: Any, selected: bool, **kwargs: Any) -> Markup:
        if kwargs or not isinstance(value, str) or not isinstance(label, str):
            return super().render_option(value, label, selected, **kwargs)
        attrs, text = _option_parts(value, label)
        return Markup(f"<option {'selected ' if selected else ''}{attrs}>{text}</option>")  # noqa: S704 - escaped in _option_parts


def picker(field: Any) -> Markup:
    """A multiple-choice field as ``LongSelect``'s checkbox picker (HTML, escaped here). The
    fieldset is kept per process for the latest 256 sets of choices, values and errors (the
    board renders the same skills picker on every search); only the script tag, which carries
    the request's CSP nonce, is made per request."""
    from flask import url_for

    from .web import csp_nonce

    script = url_for("static", filename="js/picker.js")
    tag = f'<script defer nonce="{escape(csp_nonce())}" src="{escape(script)}"></script>'
    field_id, name, label = str(field.id), str(field.name), str(field.label.text)
    errors = tuple(str(error) for error in field.errors or ())
    choices, data = field.choices, field.data
    if isinstance(choices, list | tuple) and isinstance(data, list | tuple | type(None)):
        with contextlib.suppress(TypeError):  # an unhashable choice or value: made afresh
            kept = _kept_fieldset(
                field_id, name, label, tuple(choices), _frozen(data), field.coerce, errors
            )
            return Markup(kept + tag)  # noqa: S704 - escaped in _fieldset
    options = [(str(v), str(t), bool(c)) for v, t, c, _ in field.iter_choices()]
    return Markup(_fieldset(field_id, name, label, options, errors) + tag)  # noqa: S704


def _frozen(data: list[Any] | tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    return None if data is None else tuple(data)


@functools.lru_cache(maxsize=256)
def _kept_fieldset(
    field_id: str,
    name: str,
    label: str,
    choices: tuple[Any, ...],
    data: tuple[Any, ...] | None,
    coerce: Callable[[Any], Any],
    errors: tuple[str, ...],
) -> str:
    """``_fieldset`` of a field's list of choices, each checked as WTForms' ``iter_choices``
    checks it (its value, coerced, among the field's data)."""
    options = [
        (str(value), str(text), data is not None and coerce(value) in data)
        for value, text, *_ in choices
    ]
    return _fieldset(field_id, name, label, options, errors)


def _fieldset(
    field_id: str, name: str, label: str, options: list[tuple[str, str, bool]], errors: Any
) -> str:
    boxes, chosen = [], []
    for index, (value, text, checked) in enumerate(options):
        boxes.append(_checkbox(name, f"{field_id}-{index}", value, text, checked))
        if checked:
            chosen.append(text)
    described = [f"{field_id}-hint", f"{field_id}-chosen"]
    shown = ""
    if errors:
        described.append(f"{field_id}-error")
        shown = f'<p class="error-text" id="{escape(field_id)}-error">'
        shown += " ".join(str(escape(error)) for error in errors) + "</p>"
    return (
        f'<fieldset class="picker{" field-error" if errors else ""}" id="{escape(field_id)}"'
        f' data-picker aria-describedby="{escape(" ".join(described))}">'
        f"<legend>{escape(label)}</legend>"
        f'<p class="hint" id="{escape(field_id)}-hint">Check each one that applies.</p>{shown}'
        f'<p class="picker-chosen" id="{escape(field_id)}-chosen">'
        f"Chosen: {escape(', '.join(chosen)) if chosen else 'none'}</p>"
        f'<p class="picker-filter" hidden><label for="{escape(field_id)}-filter">'
        f"Find {escape(label.lower())}</label> "
        f'<input type="search" id="{escape(field_id)}-filter" autocomplete="off"'
        f' aria-controls="{escape(field_id)}-options">'
        f' <span class="picker-count" role="status"></span></p>'
        f'<ul class="picker-options" id="{escape(field_id)}-options">{"".join(boxes)}</ul>'
        f"</fieldset>"
    )
