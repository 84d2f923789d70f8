"""The credit blueprint's review pages: one student's review (award, correct, ask for changes,
deny), the bulk award and second approvals."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import ConnectorError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, refused

from .. import forms
from ..services import awards as award_svc
from ..services import column as column_svc
from ..services import evidence as evidence_svc
from ..services import sync as sync_svc
from . import bp, course_id_of, course_policy, read_only, tell

# --- faculty: one student's review ----------------------------------------------------------
# The page's forms (award, correction, ask for changes, deny) post to the page itself
# (``lti_tool.page_forms``): a refusal re-renders at the review's own address.


def _review_context(ctx: LaunchContext, student_id: int) -> dict[str, Any]:
    course_id = course_id_of(ctx)
    decided = award_svc.student_history(ctx, course_id, student_id)
    student, current, history = decided.student, decided.policy, decided.awards
    decisions, reopened = decided.decisions, decided.reopened
    # the progress is worked out from the evidence's rows, not read again
    p, found = evidence_svc.review_progress(student, course_id, current, (history, decisions))
    evidence, answers, handed_in, handed = [], {}, {}, {}
    for item, progress in found:
        eid, reflection = item.engagement.id, item.reflection
        answers[eid] = reflection.answers if reflection else None
        handed_in[eid] = sorted((d.id, d.title) for d in item.deliverables)
        handed[eid] = (item.logs, item.deliverables)
        evidence.append(
            {
                "progress": progress,
                "engagement": item.engagement,
                "logs": item.logs,
                "deliverables": item.deliverables,
                "reflection": reflection,
                "evaluation": item.evaluation,
            }
        )
    titles = [(e.engagement_id, e.title) for e in p.engagements]
    states = sync_svc.sync_states(ctx.tenant_id, history)
    return {
        "p": p,
        "policy": current,
        "planned": column_svc.planned_column(current),
        "evidence": evidence,
        "history": history,
        "decisions": decisions,
        "exchanges": award_svc.exchanges(
            decisions,
            titles=dict(titles),
            answers=answers,  # read with the evidence, not again
            reopened=reopened,  # read with the decisions
            handed=handed,  # the evidence's hour logs and deliverables
        ),
        "part_choices": award_svc.part_choices(
            ctx.tenant_id, course_id, student_id, titles, handed_in
        ),
        "states": states,
        # the retry button's form only under an award whose grade failed to reach the LMS
        "retry_form": ButtonForm() if _retry_shown(ctx, states) else None,
    }


def _retry_shown(ctx: LaunchContext, states: dict[int, sync_svc.SyncState]) -> bool:
    """Whether the history shows a retry button: a grade that failed, to someone who may
    write (a Flask-WTF form costs about a twentieth of the page to build)."""
    return not ctx.read_only and any(s.key == "failed" for s in states.values())


def _changes_form(
    ctx: LaunchContext, student_id: int, form: Any = None, choices: Any = None
) -> forms.MessageForm:
    form = form or forms.MessageForm(formdata=None)
    if choices is None:
        choices = award_svc.part_choices(ctx.tenant_id, ctx.course_id or 0, student_id)
    form.parts.choices = [(c.part.key, c.label) for c in choices]
    return form


def _review(student_id: int, status: int = 200, **form_overrides: Any) -> ResponseReturnValue:
    ctx = current_launch()
    data = _review_context(ctx, student_id)
    return render_template(
        "credit/review.html", **_decision_forms(ctx, student_id, data, form_overrides), **data
    ), status


def _decision_forms(
    ctx: LaunchContext, student_id: int, data: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """The forms of the decision panel the page shows, and only those (a Flask-WTF form with
    its CSRF token costs about a twentieth of the page to build): none to a read-only launch;
    the correction under a current award; else award, ask for changes and deny."""
    p, policy = data["p"], data["policy"]
    if ctx.read_only:
        return {}
    if p.award is not None:
        return {
            "correction_form": overrides.get("correction_form")
            or forms.CorrectionForm(
                formdata=None,
                idempotency_key=award_svc.new_idempotency_key(),
                supersedes_id=str(p.award.id),
                credits=p.award.credits,
                score=p.award.score_given if p.award.grading_mode != "pass_fail" else None,
            )
        }
    return {
        "award_form": overrides.get("award_form")
        or forms.AwardForm(
            formdata=None,
            idempotency_key=award_svc.new_idempotency_key(),
            credits=max(p.credits_eligible, 1),
            score=policy.score_maximum if policy.grading_mode != "pass_fail" else None,
        ),
        "changes_form": _changes_form(
            ctx, student_id, overrides.get("changes_form"), data["part_choices"]
        ),
        "deny_form": overrides.get("deny_form") or forms.DenyForm(formdata=None),
    }


@bp.route("/students/<int:student_id>", methods=["GET", "POST"])
@requires("faculty")
def review(student_id: int) -> ResponseReturnValue:
    if request.method == "POST" and current_launch().read_only:
        raise read_only()
    posted = dispatch(
        award=lambda: _decide_award(student_id, forms.AwardForm(), None),
        correct=lambda: _correct(student_id),
        changes=lambda: _ask_changes(student_id),
        deny=lambda: _deny(student_id),
    )
    return posted or _review(student_id)


def _award_input(form: forms.AwardForm) -> award_svc.AwardInput:
    return award_svc.AwardInput(
        credits=form.credits.data or 0,
        score=float(form.score.data) if form.score.data is not None else None,
        comment=form.comment.data or "",
        idempotency_key=form.idempotency_key.data or "",
    )


def _decide_award(
    student_id: int, form: forms.AwardForm, supersedes: int | None
) -> ResponseReturnValue:
    ctx = current_launch()
    key = "correction_form" if supersedes else "award_form"
    if not form.validate_on_submit():
        return _review(student_id, 422, **{key: form})
    data = _award_input(form)
    try:
        # the award this form made already (a re-submission), else every check passed
        award, policy = award_svc.check_award(ctx, student_id, data, supersedes_id=supersedes)
        if award is None:
            column = column_svc.resolve_column(ctx, policy)
            award = award_svc.award_credit(
                ctx, student_id, data, lineitem_url=column.url, supersedes_id=supersedes
            )
            tell(column)
    except award_svc.AwardConflictError as exc:
        return refused(exc, "credit.review", student_id=student_id)
    except (PolicyViolationError, ConnectorError) as exc:
        field_errors(form, exc)
        return _review(student_id, 422, **{key: form})
    message = (
        "Award recorded; it waits for the second approval."
        if award.status == "awaiting_approval"
        else "Credit awarded; the grade is on its way to the LMS gradebook."
    )
    return done(message, "credit.review", student_id=student_id)


def _correct(student_id: int) -> ResponseReturnValue:
    form = forms.CorrectionForm()
    try:
        supersedes = int(form.supersedes_id.data or "")
    except ValueError:
        raise BadRequest("The correction form is incomplete; reload the page.") from None
    return _decide_award(student_id, form, supersedes)


def _ask_changes(student_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = _changes_form(ctx, student_id, forms.MessageForm())
    if form.validate_on_submit():
        try:
            award_svc.request_changes(
                ctx, student_id, form.message.data or "", form.parts.data or []
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="message")
        else:
            return done(
                "Your request was sent: the student can change what you chose.",
                "credit.review",
                student_id=student_id,
            )
    return _review(student_id, 422, changes_form=form)


def _deny(student_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.DenyForm()
    if not form.validate_on_submit():
        return _review(student_id, 422, deny_form=form)
    try:
        award_svc.deny_credit(ctx, student_id, form.message.data or "")
    except PolicyViolationError as exc:
        return refused(exc, "credit.review", student_id=student_id)
    return done(
        "Credit denied; the student sees your reason.", "credit.review", student_id=student_id
    )


# --- faculty: bulk award ----------------------------------------------------------------------


@bp.route("/bulk", methods=["GET", "POST"])
@requires("faculty")
def bulk() -> ResponseReturnValue:
    ctx = current_launch()
    course_id, current = course_policy(ctx)
    form = forms.BulkAwardForm()
    if request.method == "POST":
        if ctx.read_only:
            raise read_only()
        if form.validate_on_submit():
            try:
                ids = [int(x) for x in (form.student_ids.data or "").split(",") if x]
                column = column_svc.resolve_column(ctx)
                made = award_svc.bulk_award(
                    ctx,
                    student_ids=ids,
                    score=float(form.score.data) if form.score.data is not None else None,
                    idempotency_key=form.idempotency_key.data or "",
                    lineitem_url=column.url,
                )
                tell(column)
            except ValueError:
                form.form_errors.append("The list of students is damaged; reload the page.")
            except (PolicyViolationError, ConnectorError) as exc:
                field_errors(form, exc)
            else:
                return done(
                    f"Credit awarded to {len(made)} student{'s' if len(made) != 1 else ''}.",
                    "credit.course",
                )
    lines = award_svc.bulk_candidates(ctx.tenant_id, course_id)
    if request.method == "GET" or (not form.errors and not form.form_errors):
        form.idempotency_key.data = award_svc.new_idempotency_key()
    form.student_ids.data = ",".join(str(line.student_id) for line in lines)
    if form.score.data is None and current.grading_mode != "pass_fail":
        form.score.data = current.score_maximum
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "credit/bulk.html",
        form=form,
        lines=lines,
        policy=current,
        planned=column_svc.planned_column(current),
    ), status


# --- second approvals -------------------------------------------------------------------------


def _approvals_page(
    status: int = 200, declining: int | None = None, form: Any = None
) -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "credit/approvals.html",
        awards=award_svc.awaiting_second_approval(ctx),
        form=ButtonForm(),
        decline_form=form or forms.DeclineForm(formdata=None),
        declining=declining,
    ), status


@bp.route("/approvals", methods=["GET", "POST"])
@requires("faculty", "advisor")
def approvals() -> ResponseReturnValue:
    """Awards waiting for a second approval; the decline forms (a reason each) post here."""
    if request.method == "POST" and current_launch().read_only:
        raise read_only()
    return dispatch(decline=_decline) or _approvals_page()


@bp.post("/approvals/<int:award_id>/approve")
@requires("faculty", "advisor", write=True)
def approve(award_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        award_svc.approve_award(ctx, award_id)
    except PolicyViolationError as exc:
        return refused(exc, "credit.approvals")
    return done("Approved; the grade is on its way to the LMS gradebook.", "credit.approvals")


def _decline() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.DeclineForm()
    try:
        award_id = int(request.form.get("award_id", ""))
    except ValueError:
        raise BadRequest("The decline form is incomplete; reload the page.") from None
    if not form.validate_on_submit():
        return _approvals_page(422, award_id, form)
    try:
        award_svc.decline_award(ctx, award_id, form.reason.data or "")
    except PolicyViolationError as exc:
        return refused(exc, "credit.approvals")
    return done("Declined; the instructor sees your reason.", "credit.approvals")
