"""The internships blueprint's import pages for career advisors: the listing import, and the
progress and report of a background import (listings here; the student records' import page is
the profile area's, through ``import_page``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool import tasks, workpool
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.paging import page_number
from lti_tool.unit_of_work import commit_now, form_page
from lti_tool.web import launch_url

from ..forms import ImportForm
from ..services import jobs as job_svc
from ..services.import_report import report_page
from ..services.imports import MAX_IMPORT_BYTES, ImportFormatError, decode_file
from . import bp


def read_upload(storage: Any) -> tuple[str, str]:
    """(text, filename) of an uploaded import file; ImportFormatError when too big (read no
    further than the limit), not UTF-8 or not text."""
    return decode_file(storage.read(MAX_IMPORT_BYTES + 1)), storage.filename or ""


def inline_rows() -> int:
    """Imports of at most this many rows run during the request; longer ones in the
    background with a progress page (IMPORT_INLINE_MAX_ROWS)."""
    return int(current_app.config["IMPORT_INLINE_MAX_ROWS"])


def queue_import(ctx: LaunchContext, kind: str, text: str, filename: str) -> ResponseReturnValue:
    """Queue a long import (within the person's cap on jobs in progress), start its runner
    after the commit, and show its progress page."""
    workpool.ensure_job_capacity(ctx.actor)
    job = job_svc.create_job(ctx.actor, kind, filename, text)
    commit_now()  # the job runner reads the job from its own session
    tasks.start(current_app._get_current_object(), job_svc.TASK_KIND, job.id)  # type: ignore[attr-defined]
    return redirect(launch_url("internships.import_job", job_id=job.id), code=303)


def import_page(kind: str, form: Any, template: str, **extra: Any) -> ResponseReturnValue:
    """An import page of ``kind`` (listings, or the student records): a short file is imported
    during the request and its report shown; a long one is queued, with a progress page."""
    ctx = current_launch()
    report = None
    if form.validate_on_submit():
        try:
            text, filename = read_upload(form.file.data)
            records = job_svc.parse(kind, text, filename)
        except ImportFormatError as exc:
            form.file.errors = [*form.file.errors, exc.message]
        else:
            if len(records) > inline_rows():
                return queue_import(ctx, kind, text, filename)
            report = job_svc.import_records(ctx.actor, kind, records)
    jobs = job_svc.recent_jobs(ctx.tenant_id, kind)
    # a short import (at most inline_rows() rows) shows every row on one page, problems first
    rows = report_page(report.results, 1, max(1, len(report.results))) if report else None
    return form_page(template, form, report=report, report_rows=rows, jobs=jobs, **extra)


@bp.route("/import", methods=["GET", "POST"])
@requires("advisor", write=True)
def import_file() -> ResponseReturnValue:
    return import_page("listings", ImportForm(), "internships/import.html")


def _job_for_page(job_id: int) -> Any:
    ctx = current_launch()
    return tasks.resume_if_stale(job_svc.TASK_KIND, job_svc.get_job(ctx.tenant_id, job_id))


@bp.get("/import/jobs/<int:job_id>")
@requires("advisor")
def import_job(job_id: int) -> ResponseReturnValue:
    """A background import's progress, then its report: rows with problems first, paged."""
    job = _job_for_page(job_id)
    back = "profile.import_profiles" if job.kind == "profiles" else "internships.import_file"
    return render_template(
        "internships/import_job.html",
        job=job,
        report=report_page(job.results, page_number(request.args.get("page"))),
        back=back,
        labels=job_svc.STATUS_LABELS,
        status_line=job_svc.status_line(job),
    )


@bp.get("/import/jobs/<int:job_id>/progress")
@requires("advisor")
def import_job_progress(job_id: int) -> ResponseReturnValue:
    """The counters the progress page polls (JSON)."""
    job = _job_for_page(job_id)
    return tasks.progress_response(
        job,
        job_svc.status_line(job),
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        rejected=job.rejected,
    )
