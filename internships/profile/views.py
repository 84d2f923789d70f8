"""The profile blueprint: the student edits their own profile and sees "For you"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.extensions import db
from lti_tool.web import launch_url

from ..views import _helpers
from .forms import ProfileForm
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
            db.session.rollback()
            target = form._fields.get(exc.field, form.program)
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
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
