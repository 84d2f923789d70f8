"""The credit blueprint's gradebook column pages: the column, checking and reposting grades,
the administrator's misposted-grade repairs, retrying a failed sync and the failures list."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import ConnectorError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import commit_now, done, refused

from ..services import column as column_svc
from ..services import misposted as misposted_svc
from ..services import sync as sync_svc
from . import bp, course_id_of, course_policy, tell

# --- the gradebook column and grades sent to another column ----------------------------------


@bp.get("/column")
@requires("faculty")
def column() -> ResponseReturnValue:
    ctx = current_launch()
    course_id, current = course_policy(ctx)
    return render_template(
        "credit/column.html",
        planned=column_svc.planned_column(current),
        found=misposted_svc.misposted(ctx.tenant_id, course_id),
        form=ButtonForm(),
    )


@bp.post("/column/check")
@requires("faculty", write=True)
def column_check() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        resolved = column_svc.resolve_column(ctx)
        new = _check_sent_grades(ctx, course_id_of(ctx))
    except (PolicyViolationError, ConnectorError) as exc:
        return refused(exc, "credit.column")
    tell(resolved)
    return done(
        f"Checked: {new} grade{'s' if new != 1 else ''} sent to another column found."
        if new
        else "Checked: every credit grade sent so far went to a Career Credit column.",
        "credit.column",
    )


@bp.post("/column/repost")
@requires("faculty", write=True)
def column_repost() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        resolved = column_svc.resolve_column(ctx)
        queued = misposted_svc.repost_misposted(ctx.actor, course_id_of(ctx))
    except (PolicyViolationError, ConnectorError) as exc:
        return refused(exc, "credit.column")
    tell(resolved)
    return done(
        f"{queued} grade{'s' if queued != 1 else ''} queued for '{resolved.label}'. "
        "Correct the other columns' cells listed below by hand.",
        "credit.column",
    )


def _check_sent_grades(ctx: LaunchContext, course_id: int) -> int:
    """Record the course's grades sent to a column that is not the tool's; how many."""
    sends = misposted_svc.unchecked_sends(ctx.tenant_id, course_id)
    # Network boundary: what is done so far (the column remembered, the courses checked
    # before) is kept, and no write transaction waits on the LMS.
    commit_now()
    return misposted_svc.record_misposted(ctx.actor, course_id, sends)


@bp.get("/column/repairs")
@requires("admin", tool_admin=True)
def repairs() -> ResponseReturnValue:
    ctx = current_launch()
    found = misposted_svc.misposted(ctx.tenant_id)
    return render_template("credit/repairs.html", found=found, form=ButtonForm())


@bp.post("/column/repairs/check")
@requires("admin", tool_admin=True)
def repairs_check() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        new = sum(
            _check_sent_grades(ctx, course_id)
            for course_id in misposted_svc.courses_with_final_awards(ctx.tenant_id)
        )
    except ConnectorError as exc:
        return refused(exc, "credit.repairs")
    return done(
        f"Checked every course: {new} grade{'s' if new != 1 else ''} sent to another column found.",
        "credit.repairs",
    )


@bp.post("/column/repairs/<int:course_id>/repost")
@requires("admin", tool_admin=True)
def repairs_repost(course_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not any(m.course_id == course_id for m in misposted_svc.misposted(ctx.tenant_id)):
        abort(404)
    try:
        queued = misposted_svc.repost_misposted(ctx.actor, course_id)
    except PolicyViolationError as exc:
        return refused(exc, "credit.repairs")
    return done(
        f"{queued} grade{'s' if queued != 1 else ''} queued for the course's credit column.",
        "credit.repairs",
    )


# --- sync state and exports -------------------------------------------------------------------


@bp.post("/sync/<int:message_id>/retry")
@requires("faculty", "admin", write=True)
def retry(message_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    back = "credit.failures" if ctx.role == "admin" else "credit.course"
    try:
        if ctx.role == "faculty":  # a deleted credit column is replaced before the retry
            tell(column_svc.resolve_column(ctx))
        sync_svc.retry_sync(ctx, message_id)
    except (PolicyViolationError, ConnectorError) as exc:
        return refused(exc, back)
    return done("The grade is queued again.", back)


@bp.get("/failures")
@requires("admin", tool_admin=True)
def failures() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "credit/failures.html",
        failures=sync_svc.failed_syncs(ctx.tenant_id),
        form=ButtonForm(),
    )
