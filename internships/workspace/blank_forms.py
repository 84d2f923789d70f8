"""Empty forms for a page that shows them empty, rendered once per process (issue 16).

The engagement page shows the student up to five forms (hours, a deliverable, the next step, a
message, this week's check-in), empty on every GET; building each (Flask-WTF's CSRF set-up,
binding and processing every field) and rendering its controls were a tenth of the page's
CPU, for the same markup each time. ``BlankForm(form_class)`` stands in for
``form_class(formdata=None)`` in a template: its fields' ids, labels, hints and types are those
of one such form built per process, each control (and label) is rendered once per set of
attributes, and it has no data and no errors. Only the CSRF token is the request's own.

It is for a form shown empty only: a form the view fills, gives choices or validates, or one
refused with its errors, is a real form (the stand-ins refuse to be changed)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms.fields.core import Label
from wtforms.widgets import html_params

Attributes = tuple[tuple[str, Any], ...]


@functools.cache
def _prototype(form_class: type) -> Any:
    """One empty form of the class, never rendered whole nor changed (its token is unused)."""
    return form_class(formdata=None)


@functools.cache
def _control(form_class: type, name: str, attributes: Attributes) -> Markup:
    return Markup(getattr(_prototype(form_class), name)(**dict(attributes)))  # noqa: S704 - WTForms' markup


@functools.cache
def _label(field_id: str, text: str, attributes: Attributes) -> Markup:
    return Markup(Label(field_id, text)(**dict(attributes)))  # noqa: S704 - WTForms' markup


class _Frozen:
    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a blank form's {name} is the same for every request")


class BlankLabel(_Frozen):
    """A field's label (``text``), rendered as WTForms renders it, once per set of
    attributes."""

    __slots__ = ("field_id", "text")
    field_id: str
    text: str

    def __init__(self, field_id: str, text: str) -> None:
        object.__setattr__(self, "field_id", field_id)
        object.__setattr__(self, "text", text)

    def __call__(self, **attributes: Any) -> Markup:
        return _label(self.field_id, self.text, tuple(sorted(attributes.items())))

    def __html__(self) -> str:
        return self()

    def __str__(self) -> str:
        return self()


class BlankField(_Frozen):
    """A field of an empty form: what ``field_row`` and the templates read of it, and its
    control (``field(**attributes)``) rendered once per set of attributes; a radio field's
    options are blank fields too."""

    __slots__ = (
        "_form_class",
        "_name",
        "_options",
        "choices",
        "description",
        "flags",
        "id",
        "label",
        "name",
        "type",
    )
    _form_class: type
    _name: str
    _options: tuple[Any, ...]
    data = None
    errors: tuple[str, ...] = ()
    process_errors: tuple[str, ...] = ()

    def __init__(self, form_class: type, name: str, field: Any, options: tuple = ()) -> None:
        values = {
            "_form_class": form_class,
            "_name": name,
            "_options": options,
            "choices": tuple(getattr(field, "choices", None) or ()),
            "description": field.description,
            "flags": field.flags,
            "id": field.id,
            "label": BlankLabel(field.label.field_id, field.label.text),
            "name": field.name,
            "type": field.type,
        }
        for attribute, value in values.items():
            object.__setattr__(self, attribute, value)

    def __call__(self, **attributes: Any) -> Markup:
        return _control(self._form_class, self._name, tuple(sorted(attributes.items())))

    def __html__(self) -> str:
        return self()

    def __iter__(self) -> Any:
        return iter(self._options)


@functools.cache
def _field(form_class: type, name: str) -> BlankField:
    field = getattr(_prototype(form_class), name)
    options: tuple = ()
    if field.type == "RadioField":
        options = tuple(_Option(form_class, name, n, option) for n, option in enumerate(field))
    return BlankField(form_class, name, field, options)


class _Option(BlankField):
    """One option of a radio field (rendered from the prototype's option ``index``)."""

    __slots__ = ("_index",)
    _index: int

    def __init__(self, form_class: type, name: str, index: int, option: Any) -> None:
        super().__init__(form_class, name, option)
        object.__setattr__(self, "_index", index)

    def __call__(self, **attributes: Any) -> Markup:
        return _option(self._form_class, self._name, self._index, tuple(sorted(attributes.items())))


@functools.cache
def _option(form_class: type, name: str, index: int, attributes: Attributes) -> Markup:
    option = list(getattr(_prototype(form_class), name))[index]
    return Markup(option(**dict(attributes)))  # noqa: S704 - WTForms' markup


class BlankForm(_Frozen):
    """Stands in for ``form_class(formdata=None)`` where a template shows it empty (see the
    module's docstring)."""

    __slots__ = ("_form_class",)
    errors: Mapping[str, Any] = MappingProxyType({})
    form_errors: tuple[str, ...] = ()
    data: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, form_class: type) -> None:
        object.__setattr__(self, "_form_class", form_class)

    @property
    def csrf_token(self) -> Any:
        """The request's CSRF token as the form's hidden field renders it."""
        return _csrf_field

    def __getattr__(self, name: str) -> BlankField:
        if name.startswith("_"):
            raise AttributeError(name)
        return _field(self._form_class, name)

    def __getitem__(self, name: str) -> BlankField:
        return _field(self._form_class, name)


def _csrf_field(**attributes: Any) -> Markup:
    values = {"id": "csrf_token", "name": "csrf_token", "type": "hidden", **attributes}
    values["value"] = generate_csrf()
    return Markup(f"<input {html_params(**values)}>")  # noqa: S704 - html_params escapes
