"""Career Credit: the LTI 1.3 tool's core. ``create_app`` is the only entry point."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask


def resource_dir(name: str) -> Path:
    """The folder of ``templates``, ``static`` or ``migrations``: the package ``lti_tool.<name>``
    (setup.py maps the repository's top-level folder to it), so an installed wheel reads its own
    copy in site-packages and an editable install the repository's folder."""
    package = importlib.import_module(f"{__name__}.{name}")
    return Path(package.__file__ or "").resolve().parent


def create_app(config: str | dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Build the app: load settings, bind extensions, register blueprints, handlers and CLI."""
    from . import settings

    app = Flask(
        __name__,
        instance_path=str(settings.instance_path()),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    settings.load(app, config, overrides)

    from . import limits, ratelimit, web
    from .extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    limits.init_app(app)  # first: its body check runs before anything reads the body
    web.init_app(app)  # before CSRFProtect: its launch-id seed must run first
    csrf.init_app(app)
    ratelimit.init_app(app)
    _register_blueprints(app)
    importlib.import_module(f"{__name__}.unit_of_work").init_app(app)  # commit once per request
    from . import ops

    ops.init_app(app)  # /, /favicon.ico, /readyz, /metrics and the request metrics

    from .cli import register_cli
    from .errors import register_error_handlers

    register_error_handlers(app)
    register_cli(app)

    from . import jobs

    jobs.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from accreditation.attainment.views import bp as attainment_bp
    from accreditation.frameworks.views import bp as outcomes_bp
    from accreditation.reports.views import bp as reports_bp
    from credit.views import bp as credit_bp
    from internships.profile.views import bp as profile_bp
    from internships.views import bp as internships_bp
    from internships.work.supervisor_views import bp as supervisor_bp
    from internships.work.views import bp as work_bp

    from .admin.connections_views import bp as admin_connections_bp
    from .admin.identities_views import bp as admin_identities_bp
    from .admin.views import bp as admin_bp
    from .homes import bp as homes_bp
    from .lti.views import bp as lti_bp
    from .registration.views import bp as registration_bp

    app.register_blueprint(lti_bp)
    app.register_blueprint(homes_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(admin_connections_bp)
    app.register_blueprint(admin_identities_bp)
    app.register_blueprint(internships_bp)
    app.register_blueprint(work_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(supervisor_bp)  # also binds the rate limiter
    app.register_blueprint(registration_bp)
    app.register_blueprint(credit_bp)
    app.register_blueprint(outcomes_bp)  # also the flask frameworks commands
    app.register_blueprint(reports_bp)
    app.register_blueprint(attainment_bp)
    if app.config["SANDBOX_ENABLED"]:
        from .sandbox import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)
