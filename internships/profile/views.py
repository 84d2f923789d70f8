"""The profile blueprint (``/profile``): the student edits their own profile and sees "For
you"; career advisors import program, class year and expected graduation from the SIS."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.unit_of_work import done, field_errors, form_page

from ..views import context_helpers
from ..views.imports import import_page
from .forms import ProfileForm, SisImportForm
from .imports import CSV_COLUMNS
from .recommend import recommend
from .services import ProfileInvalidError, get_or_empty, save_profile

bp = Blueprint("profile", __name__, url_prefix="/profile")
bp.context_processor(context_helpers)


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
            return done("Your profile is saved.", "profile.edit")
    return form_page("profile/edit.html", form, profile=profile)


@bp.get("/for-you")
@requires("student")
def for_you() -> ResponseReturnValue:
    ctx = current_launch()
    profile = get_or_empty(ctx)
    picks = recommend(ctx)
    return render_template("profile/for_you.html", picks=picks, profile=profile)


@bp.route("/import", methods=["GET", "POST"], endpoint="import_profiles")
@requires("advisor", write=True)
def import_profiles_page() -> ResponseReturnValue:
    """The advisor's SIS import of program, class year and expected graduation."""
    return import_page("profiles", SisImportForm(), "profile/import.html", columns=CSV_COLUMNS)
