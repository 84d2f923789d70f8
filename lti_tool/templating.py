"""The app's Jinja environment: Flask's, whose templates answer an import (``{% import %}``,
``{% from ... import %}`` without context) with their kept module at the cost of one set
comparison, not one ``in`` test per global.

Jinja keeps the module of an imported template, but before it hands it out it checks that the
importing render has no global the module lacks: ``ctx.globals_keys - self.globals.keys()``,
where ``self.globals`` is a ``ChainMap`` (the template's own globals over the environment's),
so the difference runs a Python generator per global (21 here): 34 µs an import, and a page
imports its macro templates five to fifteen times. The environment's globals are set when the
app is made; a render's ``globals_keys`` are its template's globals (its own and the
environment's), so when they equal the environment's keys, no global is new to the imported
template, whose globals chain the environment's too: the kept module is what Jinja returns.
Anything else (a template with globals of its own, globals changed since) takes Jinja's path.
"""

from __future__ import annotations

from typing import Any

import jinja2
from flask.templating import Environment as FlaskEnvironment


class KeptImportTemplate(jinja2.Template):
    """A template whose kept module answers an import from a render with the environment's
    globals only (see the module's docstring)."""

    def _get_default_module(self, ctx: jinja2.runtime.Context | None = None) -> Any:
        module = self._module
        if module is not None and ctx is not None:
            environment = self.environment
            if (
                isinstance(environment, Environment)
                and ctx.globals_keys == environment.global_keys()
            ):
                return module
        return super()._get_default_module(ctx)


class Environment(FlaskEnvironment):
    """Flask's environment with ``KeptImportTemplate`` templates."""

    template_class = KeptImportTemplate

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._global_keys: frozenset[str] = frozenset()

    def global_keys(self) -> frozenset[str]:
        """The keys of the environment's globals, taken again whenever their number changed
        (globals are added when the app is made, never taken away)."""
        keys = self._global_keys
        if len(keys) != len(self.globals):
            keys = self._global_keys = frozenset(self.globals)
        return keys
