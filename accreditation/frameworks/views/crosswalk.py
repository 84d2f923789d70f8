"""The frameworks blueprint's crosswalk (faculty): each course outcome mapped to career
competencies and program outcomes."""

from __future__ import annotations

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.errors import AppError
from lti_tool.unit_of_work import refused
from lti_tool.web import launch_url

from .. import crosswalk
from ..forms import CrosswalkForm
from . import FACULTY, bp


@bp.get("/crosswalk")
@requires(*FACULTY)
def crosswalk_page() -> ResponseReturnValue:
    ctx = current_launch()
    grid = crosswalk.crosswalk(ctx)
    return render_template("frameworks/crosswalk.html", grid=grid, form=CrosswalkForm())


@bp.post("/crosswalk")
@requires(*FACULTY, write=True)
def crosswalk_save() -> ResponseReturnValue:
    ctx = current_launch()
    form = CrosswalkForm()
    if form.validate_on_submit():
        try:
            added, removed = crosswalk.save_crosswalk(ctx, form.cells)
        except AppError as exc:
            return refused(exc, "frameworks.crosswalk_page")
        flash(f"Crosswalk saved: {added} added, {removed} removed.", "success")
        return redirect(launch_url("frameworks.crosswalk_page"), code=303)
    grid = crosswalk.crosswalk(ctx)
    return render_template("frameworks/crosswalk.html", grid=grid, form=form), 422
