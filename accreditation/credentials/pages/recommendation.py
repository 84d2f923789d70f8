"""The supervisor's consent to show their evaluation's comments as a recommendation in the
student's portfolio: a workspace panel (``internships.workspace.panels``) on the supervisor's
workspace page (the question, yes or no, changeable) and on the student's engagement page
(whether the supervisor agreed), shown once the evaluation exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, select

from internships.work.services.evaluations import evaluation_of
from lti_tool.actor import Actor
from lti_tool.errors import ForbiddenError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from .models import RecommendationConsent

if TYPE_CHECKING:
    from internships.work.models import Engagement
    from internships.workspace.panels import Viewer

PANEL = "recommendation"


def consent_of(tenant_id: int, engagement_id: int) -> RecommendationConsent | None:
    """The supervisor's latest answer for this engagement, or None before they answer."""
    return db.session.scalar(
        select(RecommendationConsent).where(
            RecommendationConsent.tenant_id == tenant_id,
            RecommendationConsent.engagement_id == engagement_id,
        )
    )


def consents_for(tenant_id: int, engagement_ids: list[int]) -> dict[int, bool]:
    """Whether the supervisor agreed, per engagement (absent: not answered, so no)."""
    if not engagement_ids:
        return {}
    rows = db.session.execute(
        select(RecommendationConsent.engagement_id, RecommendationConsent.agreed).where(
            RecommendationConsent.tenant_id == tenant_id,
            RecommendationConsent.engagement_id.in_(engagement_ids),
        )
    )
    return {int(eid): bool(agreed) for eid, agreed in rows}


def set_consent(actor: Actor, engagement: Engagement, agreed: bool) -> RecommendationConsent:
    """Record the supervisor's answer (the latest one counts); a new yes tells the student."""
    if engagement.tenant_id != actor.tenant:
        raise ForbiddenError("That engagement is not in your institution.", reason="tenant")
    consent = consent_of(engagement.tenant_id, engagement.id)
    if consent is None:
        consent = RecommendationConsent(tenant_id=engagement.tenant_id, engagement_id=engagement.id)
        db.session.add(consent)
    newly = agreed and not consent.agreed
    consent.agreed, consent.decided_by, consent.decided_at = agreed, actor.name, utcnow()
    if newly:
        notify(
            engagement.tenant_id,
            engagement.student_id,
            "recommendation_agreed",
            f"Your supervisor agreed that their evaluation of “{engagement.listing.title}” may "
            "appear in your portfolio as a recommendation.",
            engagement_id=engagement.id,
        )
    db.session.flush()
    audit.record(actor, "portfolio.recommendation", engagement_id=engagement.id, agreed=agreed)
    return consent


# --- the workspace panel ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The supervisor's answer as the panel shows it."""

    agreed: bool


def _form(consent: RecommendationConsent | Answer | None, formdata: Any = None) -> Any:
    from .forms import ConsentForm

    if formdata is None:
        answer = "" if consent is None else ("yes" if consent.agreed else "no")
        return ConsentForm(formdata=None, data={"agreed": answer})
    return ConsentForm()


# The supervisor's answer (one per engagement at most), built once: parameters tenant_id and
# engagement_id.
_ANSWER = select(RecommendationConsent.agreed).where(
    RecommendationConsent.tenant_id == bindparam("tenant_id"),
    RecommendationConsent.engagement_id == bindparam("engagement_id"),
)


def provide(viewer: Viewer, engagement: Engagement) -> dict[str, Any] | None:
    """The panel's variables once the supervisor's evaluation exists (else no panel). The
    evaluation is the one the engagement page read (kept for the transaction); the answer is
    one statement."""
    evaluation = evaluation_of(engagement)
    if evaluation is None:
        return None
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    agreed = db.session.execute(_ANSWER, params).first()
    consent = Answer(bool(agreed[0])) if agreed is not None else None
    data: dict[str, Any] = {
        "consent": consent,
        "has_comments": bool((evaluation.comments or "").strip()),
        "supervisor": engagement.supervisor_name or "Your supervisor",
        "is_supervisor": viewer.is_supervisor,
    }
    if viewer.is_supervisor:
        data.update(form=_form(consent), action=viewer.page_url(engagement.id))
    return data


def handle(
    viewer: Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """The supervisor's answer (yes or no)."""
    from internships.workspace.panels import finished

    if not viewer.is_supervisor or action != "consent":
        raise ForbiddenError("Only the supervisor answers this.", reason="role")
    consent = consent_of(engagement.tenant_id, engagement.id)
    form = _form(consent, formdata=True)
    if not form.validate_on_submit():
        return {"form": form}
    agreed = form.agreed.data == "yes"
    set_consent(viewer.actor, engagement, agreed)
    message = (
        "Thank you: your evaluation's comments may appear in the student's portfolio as your "
        "recommendation."
        if agreed
        else "Your evaluation's comments will not appear in the student's portfolio."
    )
    return finished(viewer, engagement.id, message, PANEL)
