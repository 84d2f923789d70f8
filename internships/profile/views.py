"""The profile blueprint: the student edits their own profile and sees "For you"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.unit_of_work import field_errors
from lti_tool.web import launch_url

from ..services import jobs as job_svc
from ..services.imports import ImportFormatError
from ..views import _helpers, inline_rows, queue_import, read_upload
from .forms import ProfileForm, SisImportForm
from .imports import CSV_COLUMNS, csv_records, import_profiles
from .recommend import recommend
from .services import ProfileInvalidError, get_or_empty, save_profile

bp = Blueprint("profile", __name__, url_prefix="/profile")
bp.context_processor(_helpers)


@bp.route("/", methods=["GET", "POST"])
@requires("student")
def edit() -> ResponseReturnValue:
    ctx = current_launch()
    profile = get_or_empty(ctx)
    form = ProfileForm() if request.method == "POST" else ProfileForm.for_profile(profile)
    if request.method == "POST" and form.validate():
        try:
            save_profile(ctx, form.to_input())
        except ProfileInvalidError as exc:
            field_errors(form, exc, fallback="program")
        else:
            flash("Your profile is saved.", "success")
            return redirect(launch_url("profile.edit"), code=303)
    status = 422 if form.errors else 200
    return render_template("internships/profile.html", form=form, profile=profile), status


@bp.get("/for-you")
@requires("student")
def for_you() -> ResponseReturnValue:
    ctx = current_launch()
    profile = get_or_empty(ctx)
    picks = recommend(ctx)
    return render_template("internships/for_you.html", picks=picks, profile=profile)


@bp.route("/import", methods=["GET", "POST"], endpoint="import_profiles")
@requires("advisor", write=True)
def import_profiles_page() -> ResponseReturnValue:
    """The advisor's SIS import of program, class year and expected graduation."""
    ctx = current_launch()
    form, report = SisImportForm(), None
    if form.validate_on_submit():
        try:
            text, filename = read_upload(form.file.data)
            records = csv_records(text)
        except ImportFormatError as exc:
            form.file.errors = [*form.file.errors, exc.message]
        else:
            if len(records) > inline_rows():
                return queue_import(ctx, "profiles", text, filename)
            report = import_profiles(ctx.actor, records)
    status = 422 if form.errors else 200
    return render_template(
        "internships/import_profiles.html",
        form=form,
        report=report,
        columns=CSV_COLUMNS,
        jobs=job_svc.recent_jobs(ctx.tenant_id, "profiles"),
    ), status
