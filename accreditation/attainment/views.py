"""The attainment blueprint: a student's own report, a course's attainment (its faculty), the
program and term reports, coverage, closing-the-loop notes, targets and accreditation exports
(career advisors of the tenant). ``flask attainment exports`` is in ``commands.py``."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
)
from flask.typing import ResponseReturnValue

from accreditation.frameworks import services as fw_services
from lti_tool import tasks, workpool
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.limits import bounded_int
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import commit_now, field_errors
from lti_tool.web import launch_url

from . import charts, exports, services
from .forms import ExportForm, NoteForm, targets_form

bp = Blueprint("attainment", __name__, url_prefix="/attainment")

ADVISORS = ("advisor", "admin")
REPORT_KINDS = ("competencies", "program")


def home_panel(ctx: LaunchContext) -> dict[str, Any]:
    return {"role": ctx.role}


def _int_arg(name: str) -> int | None:
    return bounded_int(request.args.get(name))


NO_FRAMEWORK = "The career competencies framework is not set up for your institution yet."
NO_FRAMEWORK_HINT = (
    "Open Career Credit from your LMS again, or ask the operator to run "
    "“flask frameworks seed”; until then choose another framework, if there is one."
)


def _framework_id(ctx: LaunchContext, wanted: int | None) -> int:
    """The framework asked for, else the tenant's NACE framework."""
    if wanted is not None:
        return fw_services.get_framework(ctx.tenant_id, wanted).id
    nace = fw_services.builtin_framework(ctx.tenant_id)
    if nace is None:
        raise NotFoundError(NO_FRAMEWORK, hint=NO_FRAMEWORK_HINT)
    return nace.id


def _filters(ctx: LaunchContext) -> tuple[services.Scope, dict[str, Any]]:
    """The report's scope from the query string, and what the filter form shows."""
    framework_id = _framework_id(ctx, _int_arg("framework"))
    program = request.args.get("program", "")[:200]
    term_from = request.args.get("term_from", "")[:255]
    term_to = request.args.get("term_to", "")[:255]
    scope = services.Scope(
        tenant_id=ctx.tenant_id,
        framework_id=framework_id,
        program=program,
        terms=services.term_range(ctx.tenant_id, term_from, term_to),
    )
    chosen = {
        "framework_id": framework_id,
        "program": program,
        "term_from": term_from,
        "term_to": term_to,
    }
    options = {
        "frameworks": fw_services.list_frameworks(ctx.tenant_id, kinds=REPORT_KINDS),
        "programs": services.list_programs(ctx.tenant_id),
        "terms": services.list_terms(ctx.tenant_id),
    }
    return scope, {"chosen": chosen, **options}


@bp.get("/")
@requires("student", "faculty", *ADVISORS)
def index() -> ResponseReturnValue:
    ctx = current_launch()
    target = {"student": ".student_report", "faculty": ".course_report"}.get(
        ctx.role, ".program_report"
    )
    return redirect(launch_url(target))


@bp.get("/me")
@requires("student")
def student_report() -> ResponseReturnValue:
    ctx = current_launch()
    from accreditation.evidence import services as evidence_services
    from lti_tool.forms import ButtonForm

    return render_template(
        "attainment/student.html",
        demonstrated=services.student_competencies(ctx.tenant_id, ctx.user_id),
        evidence=evidence_services.student_evidence(ctx.tenant_id, ctx.user_id),
        refresh_form=ButtonForm(),
    )


@bp.get("/course")
@requires("faculty")
def course_report() -> ResponseReturnValue:
    ctx = current_launch()
    if ctx.course_id is None:
        raise NotFoundError("This launch is not from a course.", hint="Open the tool in a course.")
    frameworks = services.course_frameworks(ctx.tenant_id, ctx.course_id)
    wanted = _int_arg("framework")
    chosen = next(
        (fw for fw in frameworks if fw.id == wanted), frameworks[0] if frameworks else None
    )
    report = None
    if chosen is not None:
        report = services.attainment(
            services.Scope(ctx.tenant_id, chosen.id, course_id=ctx.course_id)
        )
    return render_template(
        "attainment/course.html",
        frameworks=frameworks,
        chosen=chosen,
        report=report,
        chart=charts.attainment_chart(report) if report else None,
    )


@bp.route("/program", methods=["GET", "POST"])
@requires(*ADVISORS)
def program_report() -> ResponseReturnValue:
    """The program's attainment; a closing-the-loop note (form ``note``) posts here."""
    return dispatch(note=_add_note) or _program_page()


def _program_page(note_form: NoteForm | None = None) -> ResponseReturnValue:
    ctx = current_launch()
    scope, filters = _filters(ctx)
    report = services.attainment(scope)
    form = note_form or NoteForm(formdata=None)
    form.item_id.choices = [(row.outcome.id, row.outcome.name) for row in report.rows]
    form.term.choices = [("", "No particular term")] + [(t, t) for t in filters["terms"]]
    return render_template(
        "attainment/program.html",
        report=report,
        chart=charts.attainment_chart(report),
        notes=services.notes(ctx.tenant_id, scope.framework_id),
        note_form=form,
        **filters,
    ), 422 if form.errors else 200


@requires(*ADVISORS, write=True)
def _add_note() -> ResponseReturnValue:
    """A note on one outcome of the framework the page shows; refused, the page again (422)
    with what was written."""
    ctx = current_launch()
    framework = fw_services.get_framework(ctx.tenant_id, _framework_id(ctx, _int_arg("framework")))
    form = NoteForm()
    form.item_id.choices = [(item.id, "") for item in framework.items]
    form.term.choices = [("", ""), *((t, t) for t in services.list_terms(ctx.tenant_id))]
    if form.validate_on_submit():
        try:
            services.add_note(
                ctx, framework.id, form.item_id.data, form.body.data or "", form.term.data or ""
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="body")
        else:
            flash("Your note is saved.", "success")
            target = launch_url(".program_report", framework=framework.id) + "#notes"
            return redirect(target, code=303)
    return _program_page(form)


@bp.get("/trend")
@requires(*ADVISORS)
def trend() -> ResponseReturnValue:
    ctx = current_launch()
    scope, filters = _filters(ctx)
    over_time = services.trend(scope)
    return render_template(
        "attainment/trend.html",
        trend=over_time,
        chart=charts.trend_chart(over_time),
        scope=scope,
        **filters,
    )


def _coverage_page(by_listing: bool) -> ResponseReturnValue:
    scope, filters = _filters(current_launch())
    cover = services.coverage(scope, with_listings=by_listing)
    return render_template(
        "attainment/coverage.html", cover=cover, by_listing=by_listing, **filters
    )


@bp.get("/coverage")
@requires(*ADVISORS)
def coverage() -> ResponseReturnValue:
    return _coverage_page(by_listing=False)


@bp.get("/coverage/listings")
@requires(*ADVISORS)
def coverage_listings() -> ResponseReturnValue:
    return _coverage_page(by_listing=True)


@bp.route("/settings", methods=["GET", "POST"])
@requires(*ADVISORS, write=True)
def targets() -> ResponseReturnValue:
    ctx = current_launch()
    fw = fw_services.get_framework(ctx.tenant_id, _framework_id(ctx, _int_arg("framework")))
    current = services.targets(ctx.tenant_id, fw.id)
    items = services.outcomes(fw)
    form = targets_form(
        [(o.id, o.name) for o in items],
        list(fw.scale or []),
        data={
            "level": current.level,
            "min_evidence": current.min_evidence,
            **{f"item_{k}": v for k, v in current.per_item.items()},
        },
    )
    if form.validate_on_submit():
        per_item = {o.id: _optional_int(form[f"item_{o.id}"].data) for o in items}
        services.save_targets(ctx, fw.id, form.level.data, form.min_evidence.data or 1, per_item)
        flash("The targets are saved.", "success")
        return redirect(launch_url(".targets", framework=fw.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "attainment/settings.html",
        form=form,
        framework=fw,
        items=items,
        frameworks=fw_services.list_frameworks(ctx.tenant_id, kinds=REPORT_KINDS),
    ), status


def _optional_int(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@bp.route("/exports", methods=["GET", "POST"])
@requires(*ADVISORS, write=True)
def export_list() -> ResponseReturnValue:
    ctx = current_launch()
    form = ExportForm()
    nace = fw_services.builtin_framework(ctx.tenant_id)
    form.framework_id.choices = [
        (fw.id, fw.title) for fw in fw_services.list_frameworks(ctx.tenant_id, kinds=REPORT_KINDS)
    ]
    form.program.choices += [(p, p) for p in services.list_programs(ctx.tenant_id)]
    terms = [(t, t) for t in services.list_terms(ctx.tenant_id)]
    form.term_from.choices += terms
    form.term_to.choices += terms
    if request.method == "GET" and nace is not None:
        form.framework_id.data = nace.id
    if form.validate_on_submit():
        workpool.ensure_job_capacity(ctx.actor)
        job = exports.create_export(
            ctx,
            form.framework_id.data,
            program=form.program.data or "",
            term_from=form.term_from.data or "",
            term_to=form.term_to.data or "",
            pseudonymize=bool(form.pseudonymize.data),
            sample_per_stratum=form.sample_per_stratum.data or 20,
            seed=form.seed.data or "",
        )
        commit_now()  # the export's runner reads the job from its own session
        tasks.start(current_app._get_current_object(), exports.TASK_KIND, job.id)  # type: ignore[attr-defined]
        return redirect(launch_url(".export_job", export_id=job.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "attainment/exports.html", form=form, jobs=exports.recent_exports(ctx)
    ), status


def _job_for_page(export_id: int) -> Any:
    return tasks.resume_if_stale(exports.TASK_KIND, exports.get_export(current_launch(), export_id))


@bp.get("/exports/<int:export_id>")
@requires(*ADVISORS)
def export_job(export_id: int) -> ResponseReturnValue:
    job = _job_for_page(export_id)
    return render_template(
        "attainment/export_job.html",
        job=job,
        labels=exports.STATUS_LABELS,
        status_line=exports.status_line(job),
    )


@bp.get("/exports/<int:export_id>/progress")
@requires(*ADVISORS)
def export_progress(export_id: int) -> ResponseReturnValue:
    """The counters the progress page polls (JSON)."""
    job = _job_for_page(export_id)
    return tasks.progress_response(job, exports.status_line(job), step=job.step)


@bp.get("/exports/<int:export_id>/download")
@requires(*ADVISORS)
def export_download(export_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    job = exports.get_export(ctx, export_id)
    path = exports.file_path(job)
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"accreditation-export-{job.id}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
