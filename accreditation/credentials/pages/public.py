"""The credentials' public pages (no launch, rate-limited like every public page): a shared
credential's verification page, the "verify a credential file" form an employer uses, and a
student's published portfolio. An unknown address, a credential not shared and a portfolio
link revoked all answer the same 404."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from internships.work.views import attachment
from lti_tool.auth import public
from lti_tool.errors import NotFoundError
from lti_tool.ratelimit import public_limit, rate_limited

from ..blueprint import bp
from . import mine
from . import portfolio as folio
from .cards import card_of
from .forms import VERIFY_MAX_BYTES, VerifyFileForm
from .verifying import check

NOT_FOUND = "No credential is shared at this address."


@bp.get("/verify/<public_id>")
@public
@rate_limited(public_limit)
def verify(public_id: str) -> ResponseReturnValue:
    """A shared credential, verified here and now: the result in words, then its content."""
    credential = mine.shared_credential(public_id)
    if credential is None:
        raise NotFoundError(NOT_FOUND, reason="not_shared")
    document = credential.document or {}
    return render_template(
        "credentials/verify.html",
        credential=credential,
        card=card_of(document),
        result=check(document, credential.tenant_id),
        newer=mine.replacement_of(credential),
    )


@bp.route("/verify", methods=["GET", "POST"])
@public
@rate_limited(public_limit)
def verify_file() -> ResponseReturnValue:
    """Paste or upload a credential file someone sent: verified, the result in words."""
    request.max_content_length = 2 * VERIFY_MAX_BYTES + 64 * 1024  # before the body is read
    form = VerifyFileForm()
    if request.method == "POST" and form.validate_on_submit():
        document = form.parsed
        result = check(document)
        card = card_of(document) if result.state in ("valid", "revoked") else None
        return render_template("credentials/verify_file.html", form=form, result=result, card=card)
    status = 422 if request.method == "POST" else 200
    return render_template("credentials/verify_file.html", form=form, result=None), status


@bp.get("/portfolio/<token>")
@public
@rate_limited(public_limit)
def public_portfolio(token: str) -> ResponseReturnValue:
    """A student's published portfolio (404 once its link is revoked)."""
    portfolio = folio.published(token)
    if portfolio is None:
        raise NotFoundError("No portfolio is published at this address.", reason="not_published")
    return render_template(
        "credentials/public_portfolio.html",
        portfolio=portfolio,
        student=portfolio_student(portfolio.student_id),
        projects=folio.public_projects(portfolio),
        token=token,
    )


@bp.get("/portfolio/<token>/files/<int:deliverable_id>")
@public
@rate_limited(public_limit)
def portfolio_file(token: str, deliverable_id: int) -> ResponseReturnValue:
    """A deliverable's file the published portfolio shows."""
    deliverable = folio.published_file(token, deliverable_id)
    if deliverable is None:
        abort(404)
    return attachment(deliverable.file_path, deliverable.filename, deliverable.content_type)


def portfolio_student(student_id: int) -> str:
    """The name the portfolio shows of its student (the LMS's name)."""
    from lti_tool.extensions import db
    from lti_tool.models import User

    user = db.session.get(User, student_id)
    return (user.name if user else "") or "A student"
