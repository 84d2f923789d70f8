"""The reports blueprint: the advisor's counts, student table, at-risk flags, employer
outcomes and grade-sync lists; per-student progress reports (page, PDF, CSV) for advisors and,
their own only, for students; private follow-up notes; the at-risk thresholds.

Faculty reach none of these pages. Every table has a CSV export next to it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue

from lti_tool import csvsafe, workpool
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.models import utcnow
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import field_errors
from lti_tool.web import launch_url

from ..student_home import student_home_reads
from . import forms, presentation
from .services import charts, dashboard, employers, notes, risk, students
from .services.common import Table, csv_lines, current_term, terms, without_jit
from .services.pdf import render_pdf
from .services.progress import build_report, report_student_id

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORT_TABLES = ("engagements", "hours", "credit", "competencies", "cohort")


def student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home panel: their progress report, with the advisor's message if shared
    (read with the credentials panel's figures: ``student_home``)."""
    return {"share": student_home_reads(ctx).share}


bp.before_request(without_jit)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "rule_labels": risk.RULE_LABELS,
        "money": employers.money,
    }


def _csv(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return csvsafe.csv_response(filename, csv_lines(headers, rows))


def table_csv(filename: str, table: Table) -> Response:
    """A table as a CSV download (the reports' pages, here and in ``home_views``)."""
    return _csv(filename, table.headers, table.rows)


def clock(ctx: LaunchContext) -> tuple[Any, Any]:
    """The launch's local date and the UTC time now (the at-risk rules' clock)."""
    return today_in(ctx.time_zone), utcnow()


def term_of(ctx: LaunchContext) -> tuple[list[Any], Any]:
    """The tenant's terms and the one asked for (``?term=``), else the current one."""
    all_terms = terms(ctx.tenant_id)
    return all_terms, current_term(all_terms, today_in(ctx.time_zone), request.args.get("term"))


@bp.get("/students")
@requires("advisor")
def student_table() -> ResponseReturnValue:
    ctx = current_launch()
    limits = risk.tenant_thresholds(ctx.tenant_id)
    query = forms.student_query(request.args)
    page = students.student_page(ctx.tenant_id, query, limits, *clock(ctx))
    return render_template(
        "reports/students.html",
        page=page,
        options=students.filter_options(ctx.tenant_id, query.employer_id),
        states=students.ENGAGEMENT_STATUSES,
        rules=risk.RULES,
        limits=limits,
        describe=risk.describe,
    )


@bp.get("/students.csv")
@requires("advisor")
def student_table_csv() -> ResponseReturnValue:
    ctx = current_launch()
    limits = risk.tenant_thresholds(ctx.tenant_id)
    query = forms.student_query(request.args)
    rows = students.iter_rows(ctx.tenant_id, query, limits, *clock(ctx))
    return _csv("students.csv", students.CSV_HEADERS, (students.csv_row(r) for r in rows))


@bp.get("/employers")
@requires("advisor")
def employer_outcomes() -> ResponseReturnValue:
    ctx = current_launch()
    all_terms, term = term_of(ctx) if request.args.get("term") else (terms(ctx.tenant_id), None)
    stats = employers.employer_stats(ctx.tenant_id, term.span if term else None)
    return render_template(
        "reports/employers.html",
        stats=stats,
        overall=employers.overall(stats),
        terms=all_terms,
        term=term,
    )


@bp.get("/employers.csv")
@requires("advisor")
def employer_outcomes_csv() -> ResponseReturnValue:
    ctx = current_launch()
    _, term = term_of(ctx) if request.args.get("term") else (None, None)
    stats = employers.employer_stats(ctx.tenant_id, term.span if term else None)
    return table_csv("employers.csv", employers.employers_table(stats))


@bp.get("/employers/<int:employer_id>")
@requires("advisor")
def employer_listings(employer_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    name = employers.get_employer_name(ctx.tenant_id, employer_id)
    stats = employers.listing_stats(ctx.tenant_id, employer_id=employer_id)
    return render_template(
        "reports/employer.html",
        employer_id=employer_id,
        name=name,
        table=employers.listings_table(stats),
        stats=stats,
    )


@bp.get("/employers/<int:employer_id>.csv")
@requires("advisor")
def employer_listings_csv(employer_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    employers.get_employer_name(ctx.tenant_id, employer_id)
    stats = employers.listing_stats(ctx.tenant_id, employer_id=employer_id)
    return table_csv(
        f"employer-{employer_id}-listings.csv", employers.listings_table(stats, numbers=True)
    )


@bp.get("/grades")
@requires("advisor")
def grades() -> ResponseReturnValue:
    ctx = current_launch()
    state = request.args.get("state", "failed")
    state = state if state in dashboard.GRADE_STATES else "failed"
    table = dashboard.grade_sync_table(ctx.tenant_id, state)
    return render_template("reports/grades.html", table=table, state=state)


@bp.get("/grades.csv")
@requires("advisor")
def grades_csv() -> ResponseReturnValue:
    ctx = current_launch()
    state = request.args.get("state", "failed")
    table = dashboard.grade_sync_table(ctx.tenant_id, state, limit=100_000)
    return table_csv(f"grades-{state if state in dashboard.GRADE_STATES else 'failed'}.csv", table)


@bp.route("/settings", methods=["GET", "POST"])
@requires("advisor", tool_admin=True)
def settings() -> ResponseReturnValue:
    ctx = current_launch()
    current = risk.tenant_thresholds(ctx.tenant_id)
    form = forms.ThresholdsForm(data=current.__dict__)
    if form.validate_on_submit():
        try:
            changed = risk.update_thresholds(ctx, form.to_thresholds())
        except PolicyViolationError as exc:
            field_errors(form, exc)
        else:
            flash("Thresholds saved." if changed else "Nothing changed.", "success")
            return redirect(launch_url("reports.settings"), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("reports/settings.html", form=form, defaults=risk.Thresholds()), status


# --- progress reports ----------------------------------------------------------------------------


def _report_page(
    student_id: int | None, status: int = 200, **page_forms: Any
) -> ResponseReturnValue:
    ctx = current_launch()
    sid = report_student_id(ctx, student_id)
    today, now = clock(ctx)
    report = build_report(ctx.tenant_id, sid, today)
    chart_uris = {
        "hours": charts.data_uri(charts.hours_chart(report.weeks), "svg") if report.weeks else None,
        "competencies": charts.data_uri(charts.competency_chart(report.competencies), "svg")
        if report.competencies
        else None,
        "cohort": charts.data_uri(
            charts.cohort_chart(
                report.cohort_bins,
                report.student_bin,
                marker="You" if ctx.role == "student" else "This student",
            ),
            "svg",
        ),
    }
    extra: dict[str, Any] = {}
    if ctx.role == "advisor":
        limits = risk.tenant_thresholds(ctx.tenant_id)
        flagged = students.student_page(
            ctx.tenant_id,
            students.StudentQuery(student_id=sid, risk="any", per_page=100),
            limits,
            today,
            now,
        )
        extra = {
            "notes": notes.notes_for(ctx, sid),
            "note_form": page_forms.get("note_form") or forms.NoteForm(formdata=None),
            "share_form": page_forms.get("share_form") or forms.ShareForm(formdata=None),
            "flagged": flagged.rows,
            "share": notes.latest_share(ctx.tenant_id, sid),
        }
    return render_template(
        "reports/report.html",
        report=report,
        tables=report.tables(),
        charts=chart_uris,
        alts=presentation.report_alts(report, own=ctx.role == "student"),
        own=ctx.role == "student",
        **extra,
    ), status


def _pdf(student_id: int | None) -> ResponseReturnValue:
    ctx = current_launch()
    sid = report_student_id(ctx, student_id)
    with workpool.report_slot((ctx.tenant_id, ctx.user_id)):
        report = build_report(ctx.tenant_id, sid, today_in(ctx.time_zone))
        pdf = render_pdf(report, ctx.tenant_name)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="progress-report-{sid}-{report.generated_on.isoformat()}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _report_csv(student_id: int | None, table: str) -> ResponseReturnValue:
    ctx = current_launch()
    if table not in REPORT_TABLES:
        raise NotFoundError("There is no such table in the progress report.")
    sid = report_student_id(ctx, student_id)
    report = build_report(ctx.tenant_id, sid, today_in(ctx.time_zone))
    return table_csv(f"progress-{sid}-{table}.csv", report.tables()[table])


@bp.route("/students/<int:student_id>", methods=["GET", "POST"])
@requires("advisor")
def student_report(student_id: int) -> ResponseReturnValue:
    """A student's progress report; sharing it (form ``share``) and a follow-up note (form
    ``note``) post here."""
    posted = dispatch(note=lambda: _add_note(student_id), share=lambda: _share(student_id))
    return posted or _report_page(student_id)


@bp.get("/students/<int:student_id>/report.pdf")
@requires("advisor")
def student_report_pdf(student_id: int) -> ResponseReturnValue:
    return _pdf(student_id)


@bp.get("/students/<int:student_id>/<table>.csv")
@requires("advisor")
def student_report_csv(student_id: int, table: str) -> ResponseReturnValue:
    return _report_csv(student_id, table)


@bp.get("/students/<int:student_id>/notes.csv")
@requires("advisor")
def student_notes_csv(student_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    sid = report_student_id(ctx, student_id)
    rows = [(n.created_at, n.author, n.follow_up_on, n.body) for n in notes.notes_for(ctx, sid)]
    return _csv(f"notes-{sid}.csv", ("Written", "Advisor", "Follow up on", "Note"), rows)


@requires("advisor", write=True)
def _add_note(student_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.NoteForm()
    if form.validate_on_submit():
        try:
            notes.add_note(ctx, student_id, form.body.data or "", form.follow_up_on.data)
        except notes.NoteInvalidError as exc:
            field_errors(form, exc, fallback="body")
        else:
            flash("Note saved. Only career advisors can read it.", "success")
            return redirect(launch_url("reports.student_report", student_id=student_id), code=303)
    return _report_page(student_id, 422, note_form=form)


@requires("advisor", write=True)
def _share(student_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.ShareForm()
    if not form.validate_on_submit():
        return _report_page(student_id, 422, share_form=form)
    notes.share_report(ctx, student_id, form.message.data or "")
    flash("The report is shared: the student is notified.", "success")
    return redirect(launch_url("reports.student_report", student_id=student_id), code=303)


@bp.get("/me")
@requires("student")
def my_report() -> ResponseReturnValue:
    return _report_page(None)


@bp.get("/me/report.pdf")
@requires("student")
def my_report_pdf() -> ResponseReturnValue:
    return _pdf(None)


@bp.get("/me/<table>.csv")
@requires("student")
def my_report_csv(table: str) -> ResponseReturnValue:
    return _report_csv(None, table)
