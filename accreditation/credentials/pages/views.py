"""The credentials' pages on the area's blueprint (``/credentials``): the student's "My
credentials", one credential (download, share, LinkedIn, evidence), the portfolio editor; what
faculty and advisors see of a credential. The public pages (no launch) are in ``public.py``."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.errors import AppError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, refused
from lti_tool.web import configured_public_url, launch_url

from ..blueprint import bp
from . import actions, mine
from . import portfolio as folio
from .cards import card_of, linkedin_url
from .forms import DidForm, EvidenceForm, PortfolioForm, project_choices


def public_url(endpoint: str, **values: Any) -> str:
    """An address outside the launch (a share link, LinkedIn's certificate URL): on the tool's
    public base URL when configured, else on the host this request came to."""
    base = configured_public_url()
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def json_file(document: dict[str, Any], filename: str) -> ResponseReturnValue:
    """A credential as the ``.json`` file wallets import: the signed document as issued."""
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- My credentials ----------------------------------------------------------------------------


def _mine_page(status: int = 200, did_form: DidForm | None = None) -> ResponseReturnValue:
    ctx = current_launch()
    issued = mine.my_credentials(ctx)
    subject_did = actions.subject_did(ctx)
    return render_template(
        "credentials/mine.html",
        issued=issued,
        achievements=[i for i in issued if i.credential.kind == "achievement"],
        clr=next((i for i in issued if i.credential.kind == "clr" and i.credential.is_valid), None),
        did_form=did_form or DidForm(formdata=None, data={"did": subject_did}),
        subject_did=subject_did,
        clr_form=ButtonForm(formdata=None),
    ), status


@bp.route("/mine", methods=["GET", "POST"])
@requires("student")
def mine_page() -> ResponseReturnValue:
    """The student's credentials as cards; their DID and the CLR download post here."""
    return dispatch(did=_save_did, clr=_prepare_clr) or _mine_page()


def _save_did() -> ResponseReturnValue:
    ctx = current_launch()
    form = DidForm()
    if form.validate_on_submit():
        try:
            actions.save_did(ctx, form.did.data or "")
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="did")
        else:
            message = (
                "Your DID is saved: your credentials are issued again naming it."
                if form.did.data
                else "Your credentials identify you by your hashed email address again."
            )
            return done(message, "credentials.mine_page")
    return _mine_page(422, did_form=form)


def _prepare_clr() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return _mine_page(400)
    try:
        clr = actions.prepare_clr(ctx)
    except AppError as exc:
        return refused(exc, "credentials.mine_page")
    return done(
        "Your Comprehensive Learner Record is ready: download it below.",
        "credentials.mine_page",
        _anchor=f"credential-{clr.id}",
    )


# --- one credential ----------------------------------------------------------------------------


def _credential_page(
    credential_id: int, status: int = 200, evidence_form: EvidenceForm | None = None
) -> ResponseReturnValue:
    ctx = current_launch()
    credential = mine.own_credential(ctx, credential_id)
    card = card_of(credential.document or {})
    files, has_comment = mine.evidence_options(credential)
    form = evidence_form or EvidenceForm(
        formdata=None,
        data={
            "deliverables": list((credential.evidence_choice or {}).get("deliverable_ids", [])),
            "include_comment": bool((credential.evidence_choice or {}).get("include_comment")),
        },
    )
    form.deliverables.choices = [(d.id, d.title) for d in files]
    verify_url = public_url("credentials.verify", public_id=credential.public_id)
    return render_template(
        "credentials/credential.html",
        credential=credential,
        card=card,
        verify_url=verify_url,
        linkedin=linkedin_url(card, verify_url, f"urn:uuid:{credential.uuid}"),
        evidence_form=form,
        has_files=bool(files),
        has_comment=has_comment,
        share_form=ButtonForm(formdata=None),
    ), status


@bp.route("/mine/<int:credential_id>", methods=["GET", "POST"])
@requires("student")
def credential(credential_id: int) -> ResponseReturnValue:
    """One of the student's credentials: download, share, LinkedIn, evidence."""
    return dispatch(
        share=lambda: _share(credential_id, True),
        unshare=lambda: _share(credential_id, False),
        evidence=lambda: _evidence(credential_id),
    ) or _credential_page(credential_id)


def _share(credential_id: int, shared: bool) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return _credential_page(credential_id, 400)
    actions.share(ctx, credential_id, shared)
    message = (
        "Shared: anyone with the link can now check this credential."
        if shared
        else "No longer shared: its link now answers “not found”."
    )
    return done(message, "credentials.credential", credential_id=credential_id)


def _evidence(credential_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    credential = mine.own_credential(ctx, credential_id)
    form = EvidenceForm()
    files, _ = mine.evidence_options(credential)
    form.deliverables.choices = [(d.id, d.title) for d in files]
    if form.validate_on_submit():
        try:
            newer = actions.choose_evidence(
                ctx,
                credential_id,
                list(form.deliverables.data or []),
                bool(form.include_comment.data),
            )
        except PolicyViolationError as exc:
            field_errors(
                form, exc, aliases={"deliverable_ids": "deliverables"}, fallback="deliverables"
            )
        else:
            return done(
                "Your credential was issued again with the evidence you chose.",
                "credentials.credential",
                credential_id=newer.id,
            )
    return _credential_page(credential_id, 422, evidence_form=form)


@bp.get("/mine/<int:credential_id>.json")
@requires("student")
def download(credential_id: int) -> ResponseReturnValue:
    """The credential's signed JSON, as issued (for a wallet, or to send to an employer)."""
    credential = mine.own_credential(current_launch(), credential_id)
    prefix = "clr" if credential.kind == "clr" else "credential"
    return json_file(credential.document or {}, f"{prefix}-{credential.uuid}.json")


# --- the portfolio editor ----------------------------------------------------------------------


def _portfolio_page(status: int = 200, form: PortfolioForm | None = None) -> ResponseReturnValue:
    ctx = current_launch()
    portfolio, projects = folio.editor(ctx)
    form = form or PortfolioForm(
        formdata=None,
        data={
            "headline": portfolio.headline if portfolio else "",
            "introduction": portfolio.introduction if portfolio else "",
        },
    )
    posted = request.form if status != 200 else None
    return render_template(
        "credentials/portfolio.html",
        portfolio=portfolio,
        projects=projects,
        form=form,
        posted=posted,
        button_form=ButtonForm(formdata=None),
        public_link=(
            public_url("credentials.public_portfolio", token=portfolio.token)
            if portfolio and portfolio.token
            else ""
        ),
    ), status


@bp.route("/portfolio", methods=["GET", "POST"])
@requires("student")
def portfolio() -> ResponseReturnValue:
    """The student's portfolio: what it shows, and its public link (publish, revoke)."""
    return (
        dispatch(save=_save_portfolio, publish=_publish, unpublish=_unpublish) or _portfolio_page()
    )


def _save_portfolio() -> ResponseReturnValue:
    ctx = current_launch()
    form = PortfolioForm()
    if form.validate_on_submit():
        _, projects = folio.editor(ctx)
        choices = project_choices(request.form, [p.engagement.id for p in projects])
        try:
            folio.save_portfolio(
                ctx, form.headline.data or "", form.introduction.data or "", choices
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="headline")
        else:
            return done("Your portfolio is saved.", "credentials.portfolio")
    return _portfolio_page(422, form=form)


def _publish() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        return _portfolio_page(400)
    folio.publish(current_launch())
    return done("Your portfolio is published at a new link.", "credentials.portfolio")


def _unpublish() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        return _portfolio_page(400)
    folio.unpublish(current_launch())
    return done(
        "Your portfolio's link is revoked: it now answers “not found”.", "credentials.portfolio"
    )


# --- faculty and advisors ----------------------------------------------------------------------


@bp.get("/view/<int:credential_id>")
@requires("faculty", "advisor")
def view(credential_id: int) -> ResponseReturnValue:
    """A credential as faculty (their course's) and advisors (their institution's) see it."""
    ctx = current_launch()
    credential = mine.staff_credential(ctx, credential_id)
    from lti_tool.extensions import db
    from lti_tool.models import User

    from .verifying import check

    student = db.session.get(User, credential.student_id)
    return render_template(
        "credentials/view.html",
        credential=credential,
        student=(student.name or student.email) if student else "",
        card=card_of(credential.document or {}),
        result=check(credential.document or {}, credential.tenant_id),
        back=launch_url("home.index"),
    )
