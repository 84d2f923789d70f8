"""accreditation: outcomes frameworks, evidence and its write-back to the LMS, advisor reports
and attainment reports (see DESIGN.md)."""

from __future__ import annotations

from flask import Flask

MODELS = (
    "accreditation.frameworks.models",
    "accreditation.evidence.models",
    "accreditation.writeback.models",
    "accreditation.reports.models",
    "accreditation.attainment.models",
)


def register(app: Flask) -> None:
    """Accreditation's blueprints, commands, home panels, write-back senders and hooks."""
    from lti_tool import jobs, tasks
    from lti_tool.cli import cli_group
    from lti_tool.home import register_home_panel
    from lti_tool.jobs.runner import register_tick
    from lti_tool.privacy.hooks import register_erasure_hook
    from lti_tool.privacy.retention import register_file_rule
    from lti_tool.tenants import register_tenant_setup

    from .attainment import commands as attainment_commands
    from .attainment import exports
    from .attainment import views as attainment_views
    from .evidence import commands as evidence_commands
    from .evidence import services as evidence
    from .evidence import views as evidence_views
    from .frameworks import commands as framework_commands
    from .frameworks import services as frameworks
    from .frameworks import views as framework_views
    from .frameworks.views import crosswalk, lms  # noqa: F401 - routes on framework_views.bp
    from .frameworks.views import frameworks as _framework_pages  # noqa: F401 - the same
    from .reports import register as register_reports
    from .writeback import senders
    from .writeback import services as writeback

    for bp in (
        framework_views.bp,
        framework_views.OLD_ADDRESSES,  # the Canvas OAuth redirect URI, once under /outcomes
        evidence_views.bp,
        attainment_views.bp,
    ):
        app.register_blueprint(bp)
    for role in ("faculty", "advisor", "student"):
        register_home_panel(app, role, "frameworks/_home_panel.html", framework_views.home_panel)
    register_reports(app)
    for role in ("faculty", "advisor", "student"):
        register_home_panel(app, role, "attainment/_home_panel.html", attainment_views.home_panel)
    app.cli.add_command(
        cli_group(
            "frameworks",
            framework_commands.import_command,
            framework_commands.export_command,
            framework_commands.list_command,
            framework_commands.seed_command,
        )
    )
    app.cli.add_command(cli_group("evidence", evidence_commands.sync_command))
    app.cli.add_command(cli_group("attainment", attainment_commands.run_exports_command))
    # The built-in NACE framework exists before any page needs it (pages only read it).
    register_tenant_setup(app, "accreditation.builtin_frameworks", frameworks.set_up_tenant)
    jobs.register_sender(writeback.KIND_CANVAS, senders.send_rubric_assessment)
    jobs.register_sender(writeback.KIND_MOODLE, senders.send_grade_competency)
    # Supervisor evaluations become evidence within a minute, whether or not a page is opened.
    register_tick("evidence.supervisor_sync", evidence.run_scheduled)
    register_file_rule("accreditation.exports")(exports.purge_expired_exports)
    register_erasure_hook("accreditation.exports")(exports.erase_exports_of_student)
    tasks.register_task_kind(exports.task_kind())  # accreditation exports
