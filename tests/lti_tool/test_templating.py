"""The app's Jinja environment (issue 16): an import hands out the imported template's kept
module without Jinja's per-global check, and still gives what Jinja gives."""

from __future__ import annotations

import jinja2
import pytest

from lti_tool.templating import KeptImportTemplate

PAGE = '{% import "_ui.html" as ui %}{% from "_macros.html" import hidden_launch %}ok'


@pytest.fixture
def slow_paths(monkeypatch):
    """How many imports took Jinja's own path (the per-global check)."""
    taken: list[str] = []
    jinja_path = jinja2.Template._get_default_module

    def counted(self, ctx=None):
        taken.append(self.name)
        return jinja_path(self, ctx)

    monkeypatch.setattr(jinja2.Template, "_get_default_module", counted)
    return taken


def test_imports_hand_out_the_kept_module(app, slow_paths):
    env = app.jinja_env
    with app.test_request_context("/"):
        page = env.from_string(PAGE)
        assert isinstance(page, KeptImportTemplate)
        assert page.render() == "ok"
        first = len(slow_paths)
        assert first <= 2  # each imported template's module made once
        for _ in range(3):
            assert page.render() == "ok"
        assert len(slow_paths) == first  # then handed out as kept
        ui = env.get_template("_ui.html")
        ctx = page.new_context({})
        assert ui._get_default_module(ctx) is ui._get_default_module(ctx)


def _added_global(env: jinja2.Environment) -> list[str]:
    """What a macro shows of a global added after its template was first imported."""
    loader = env.loader
    env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"_kept_test.html": MACRO}), loader or jinja2.DictLoader({})]
    )
    try:
        seen = [env.from_string(IMPORTING).render()]
        env.globals["shade"] = "teal"
        seen.append(env.from_string(IMPORTING).render())
        if env.cache is not None:
            env.cache.clear()  # the macro's template loaded afresh
        seen.append(env.from_string(IMPORTING).render())
    finally:
        env.globals.pop("shade", None)
        env.loader = loader
    return seen


MACRO = "{% macro m() %}{{ shade }}{% endmacro %}"
IMPORTING = '{% from "_kept_test.html" import m %}[{{ m() }}]'


def test_a_global_added_later_is_seen_as_jinja_sees_it(app):
    with app.test_request_context("/"):
        seen = _added_global(app.jinja_env)
    assert seen == _added_global(jinja2.Environment(autoescape=True)) == ["[]", "[]", "[teal]"]


def test_a_template_with_globals_of_its_own_gets_a_module_that_sees_them(app):
    env = app.jinja_env
    loader = env.loader
    env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"_own_test.html": "{% macro m() %}{{ tint }}{% endmacro %}"}), loader]
    )
    try:
        with app.test_request_context("/"):
            plain = env.from_string('{% from "_own_test.html" import m %}[{{ m() }}]')
            assert plain.render() == "[]"  # the kept module: made without "tint"
            own = env.from_string(
                '{% from "_own_test.html" import m %}[{{ m() }}]', globals={"tint": "amber"}
            )
            assert own.render() == "[amber]"  # Jinja's path: a module with its globals
            assert plain.render() == "[]"
    finally:
        env.loader = loader
