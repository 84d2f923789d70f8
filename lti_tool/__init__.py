"""Career Credit: the LTI 1.3 tool's core. ``create_app`` is the only entry point."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from .templating import Environment


def resource_dir(name: str) -> Path:
    """The folder of ``templates``, ``static`` or ``migrations``: the package ``lti_tool.<name>``
    (setup.py maps the repository's top-level folder to it), so an installed wheel reads its own
    copy in site-packages and an editable install the repository's folder."""
    package = importlib.import_module(f"{__name__}.{name}")
    return Path(package.__file__ or "").resolve().parent


class CareerCreditFlask(Flask):
    """Flask, answering ``ensure_sync`` once per function: Flask asks it of every hook and view
    on every request (about fourteen a request), and each answer inspects the function. At most
    ``SYNC_KEPT`` answers are kept (more than the app's views and hooks), so a function made per
    request (``after_this_request``, a class-based view's instance) never grows the memory."""

    SYNC_KEPT = 2048
    jinja_environment = Environment  # imports hand out their kept modules cheaply

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync_functions[func]
        except KeyError:
            made = super().ensure_sync(func)
            if len(self._sync_functions) < self.SYNC_KEPT:
                self._sync_functions[func] = made
            return made
        except TypeError:  # an unhashable callable: asked afresh
            return super().ensure_sync(func)


def create_app(config: str | dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Build the app: load settings, bind extensions, register every domain (``lti_tool.domains``),
    the ops routes, error handlers and the CLI guard. No I/O."""
    from . import settings

    app = CareerCreditFlask(
        __name__,
        instance_path=str(settings.instance_path()),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    settings.load(app, config, overrides)

    from . import db_ping, domains, jobs, limits, messages, ops, ratelimit, statement_cache, web
    from .cli import guard
    from .errors import register_error_handlers
    from .extensions import csrf, db, migrate

    db.init_app(app)
    statement_cache.init_app(app)  # a statement built once is found without hashing its key
    settings.sqlite_engine_events(app)
    settings.postgresql_engine_events(app)
    db_ping.init_app(app)  # a connection idle a while is pinged before use
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    limits.init_app(app)  # first: its body check runs before anything reads the body
    web.init_app(app)  # before CSRFProtect: its launch-id seed must run first
    csrf.init_app(app)
    ratelimit.init_app(app)
    domains.register_all(app)  # blueprints, commands, panels, senders, hooks: lti_tool.domains
    importlib.import_module(f"{__name__}.unit_of_work").init_app(app)  # commit once per request
    # flashed messages kept with the launch, not only in the cookie; registered after the unit
    # of work, so they are stored before its commit and go in it (after_request runs last first)
    messages.init_app(app)
    ops.init_app(app)  # /, /favicon.ico, /healthz, /readyz, /metrics and the request metrics
    register_error_handlers(app)
    guard(app.cli)  # every command: one line for a person's mistake, a reference for a bug
    jobs.init_app(app)
    return app
