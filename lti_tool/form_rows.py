"""Form rows every area's forms share, rendered in Python: a field with its label, hint and
errors tied to it for screen readers (``field_row``), and a group of radio buttons or
checkboxes in a fieldset (``choice_group``).

They were Jinja macros in ``templates/_macros.html``; a macro call builds a frame, a dict of
arguments and joins of its output, and the engagement and review pages call them dozens of
times a request. These functions return the same markup, character for character (the
macros' whitespace included), escaped as autoescape escaped it; the controls themselves are
still the fields' WTForms widgets. ``_macros.html`` re-exports them under their old names, so
``{% from "_macros.html" import field_row, choice_group %}`` is unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

# What the macro printed before its <div>: the newline after its opening tag and one after each
# of its six {% set %} / {% if %} lines.
_ROW_START = "\n" * 7


def hint_and_errors(field: Any) -> Markup:
    """The field's hint and its error messages, each with the id ``aria-describedby`` names."""
    hint = ""
    if field.description:
        hint = f'<p class="hint" id="{escape(field.id)}-hint">{escape(field.description)}</p>'
    errors = ""
    if field.errors:
        messages = "".join(f"{escape(error)} " for error in field.errors)
        errors = f'<p class="error-text" id="{escape(field.id)}-error">{messages}</p>'
    return Markup(f"\n{hint}\n{errors}\n")  # noqa: S704 - every value escaped above


def field_label(field: Any, required: Any = False, class_: str = "") -> Markup:
    """A field's label; a field the page passes "required" to says so in words, not by a sign."""
    if required:
        class_attr = f' class="{escape(class_)}"' if class_ else ""
        return Markup(  # noqa: S704 - every value escaped here
            f'<label for="{escape(field.id)}"{class_attr}>{escape(field.label.text)} '
            '<span class="required">(required)</span></label>'
        )
    if class_:
        return escape(field.label(class_=class_))
    return escape(field.label())


def field_row(field: Any, extra: Mapping[str, Any] | None = None) -> Markup:
    """A field in a ``div.field``: its label, hint, errors and control; the control names the
    hint and errors in ``aria-describedby`` and, with errors, says ``aria-invalid``. ``extra``
    are more attributes of the control (``{"rows": 3}``); ``"required"`` also labels it so."""
    description, errors = field.description, field.errors
    attrs: dict[str, Any] = {}
    if description and errors:
        attrs["aria-describedby"] = f"{field.id}-hint {field.id}-error"
    elif description:
        attrs["aria-describedby"] = f"{field.id}-hint"
    elif errors:
        attrs["aria-describedby"] = f"{field.id}-error"
    if errors:
        attrs["aria-invalid"] = "true"
    if extra:
        attrs.update(extra)
    div = '<div class="field field-error">' if errors else '<div class="field">'
    control = escape(field(**attrs))
    hints = hint_and_errors(field)
    if field.type == "BooleanField":
        label = field_label(field, attrs.get("required"), "inline")
        body = f"<p>{control} {label}</p>\n  {hints}"
    else:
        body = f"{field_label(field, attrs.get('required'))}\n  {hints}\n  {control}"
    return Markup(f"{_ROW_START}{div}\n  \n  {body}\n  \n</div>\n")  # noqa: S704 - escaped above


def choice_group(field: Any) -> Markup:
    """Radio buttons or checkboxes: a fieldset whose legend names the group, then the hint,
    errors and one ``p.choice`` per option (its control, then its label)."""
    field_id = escape(field.id)
    description, errors = field.description, field.errors
    described = ""
    if description or errors:
        hint_id = f"{field_id}-hint " if description else ""
        error_id = f"{field_id}-error" if errors else ""
        described = f' aria-describedby="{hint_id}{error_id}"'
    error_class = " field-error" if errors else ""
    options = "".join(
        f'\n  <p class="choice">{escape(option())} {escape(option.label(class_="inline"))}</p>\n  '
        for option in field
    )
    return Markup(  # noqa: S704 - every value escaped here or above
        f'\n<fieldset class="choices{error_class}" id="{field_id}"{described}>\n'
        f"  <legend>{escape(field.label.text)}</legend>\n"
        f"  {hint_and_errors(field)}\n  {options}\n</fieldset>\n"
    )


def init_app(app: Flask) -> None:
    """Give templates the functions as ``_form_rows`` (``_macros.html`` re-exports them)."""
    app.jinja_env.globals["_form_rows"] = sys.modules[__name__]
