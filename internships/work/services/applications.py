"""Applying, withdrawing and selecting: the student applies with explicit consent to share
with the named employer; the supervisor (signed link) or an advisor shortlists, accepts or
declines; acceptance (``acceptance.py``) creates the engagement under the workload caps
(``workload.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from internships.models import Listing
from internships.services.listings import get_listing
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ..models import Application, Engagement
from . import uploads
from .acceptance import accept

OPEN_STATUSES = ("submitted", "shortlisted")
DECISIONS = {"shortlist": "shortlisted", "accept": "accepted", "decline": "declined"}


class ApplicationInvalidError(PolicyViolationError):
    """An application field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str, reason: str | None = None) -> None:
        super().__init__(message, reason=reason or f"invalid_{field_name}", field=field_name)


@dataclass
class ApplicationInput:
    statement: str
    availability: str
    consent: bool
    resume: bytes | None = None
    resume_filename: str = ""
    program: str = ""
    class_year: str = ""
    meets_work_authorization: bool = False


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def eligibility_problems(listing: Listing, data: ApplicationInput) -> list[tuple[str, str]]:
    """(field, message) for each eligibility rule of the listing the student does not meet."""
    rules = listing.eligibility or {}
    problems = []
    programs = [_norm(p) for p in rules.get("programs") or []]
    if programs and _norm(data.program) not in programs:
        problems.append(
            ("program", "This listing is open to students of: " + ", ".join(rules["programs"]))
        )
    years = [_norm(y) for y in rules.get("class_years") or []]
    if years and _norm(data.class_year) not in years:
        problems.append(
            (
                "class_year",
                "This listing is open to class years: " + ", ".join(rules["class_years"]),
            )
        )
    if rules.get("work_authorization") and not data.meets_work_authorization:
        problems.append(
            (
                "meets_work_authorization",
                "Confirm that you meet the work authorization requirement.",
            )
        )
    return problems


def _validate(listing: Listing, data: ApplicationInput, today: dt.date) -> None:
    if listing.application_deadline is not None and listing.application_deadline < today:
        raise ApplicationInvalidError(
            "statement", "Applications for this listing have closed.", "deadline_passed"
        )
    if not 50 <= len(data.statement.strip()) <= 5000:
        raise ApplicationInvalidError(
            "statement", "Write a statement of 50 to 5,000 characters about why you fit."
        )
    if not 3 <= len(data.availability.strip()) <= 1000:
        raise ApplicationInvalidError(
            "availability", "Say when you can work (for example “weekday evenings, 8 h/week”)."
        )
    for field_name, message in eligibility_problems(listing, data):
        raise ApplicationInvalidError(field_name, message, "not_eligible")
    if not data.consent:
        raise ApplicationInvalidError(
            "consent",
            f"Nothing is sent to {listing.employer.name} without your consent: tick the box "
            "to share your application with them.",
            "no_consent",
        )
    if not data.resume:
        raise ApplicationInvalidError("resume", "Attach your résumé as a PDF.", "resume_missing")


def apply_to_listing(
    ctx: LaunchContext, listing_id: int, data: ApplicationInput, today: dt.date | None = None
) -> Application:
    """A student applies to an open listing of their tenant (once per listing)."""
    if ctx.role != "student":
        raise ForbiddenError("Only students apply to listings.", reason="role")
    listing = get_listing(ctx.tenant_id, listing_id, open_only=True)
    _validate(listing, data, today or today_in(ctx.time_zone))
    existing = db.session.scalar(
        select(Application).where(
            Application.listing_id == listing.id, Application.student_id == ctx.user_id
        )
    )
    if existing is not None and existing.status != "withdrawn":
        raise ApplicationInvalidError(
            "statement", "You have already applied to this listing.", "duplicate"
        )
    try:
        stored = uploads.store_resume(data.resume or b"", data.resume_filename)
    except uploads.UploadRejectedError as exc:
        raise ApplicationInvalidError("resume", exc.message, exc.reason) from exc
    application = existing or Application(
        tenant_id=ctx.tenant_id, listing_id=listing.id, student_id=ctx.user_id
    )
    replaced = existing.resume_path if existing is not None else None
    application.course_id = ctx.course_id
    application.statement = data.statement.strip()
    application.availability = data.availability.strip()
    application.program = data.program.strip()[:200]
    application.class_year = data.class_year.strip()[:64]
    application.resume_path = stored.name
    application.resume_filename = stored.filename
    application.resume_size = stored.size
    application.consent_employer = listing.employer.name
    application.consented_at = utcnow()
    application.status = "submitted"
    application.decided_by = application.decided_at = None
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError as exc:  # a second tab won the race
        uploads.remove_file(stored.name)
        raise ApplicationInvalidError(
            "statement", "You have already applied to this listing.", "duplicate"
        ) from exc
    if replaced and replaced != stored.name:
        # the withdrawn application's résumé: nothing points at it any more, so neither
        # export, erasure nor retention would ever find it
        uploads.remove_file(replaced)
    audit.record(
        ctx.actor,
        "application.submit",
        ctx.tenant_id,
        application_id=application.id,
        listing_id=listing.id,
        consent_employer=listing.employer.name,
    )
    return application


def my_applications(ctx: LaunchContext) -> list[Application]:
    """The launch student's applications, newest first."""
    return list(
        db.session.scalars(
            select(Application)
            .options(joinedload(Application.listing).joinedload(Listing.employer))
            .where(Application.tenant_id == ctx.tenant_id, Application.student_id == ctx.user_id)
            .order_by(Application.created_at.desc(), Application.id.desc())
        )
    )


def count_my_applications(ctx: LaunchContext) -> int:
    """How many applications the launch student has made."""
    return int(
        db.session.scalar(
            select(func.count(Application.id)).where(
                Application.tenant_id == ctx.tenant_id, Application.student_id == ctx.user_id
            )
        )
        or 0
    )


def get_application(ctx: LaunchContext, application_id: int) -> Application:
    """An application the launch may see: the student's own, or any of the tenant for an
    advisor; NotFoundError otherwise (never says whether it exists)."""
    application = db.session.scalar(
        select(Application)
        .options(joinedload(Application.listing).joinedload(Listing.employer))
        .where(Application.id == application_id, Application.tenant_id == ctx.tenant_id)
    )
    visible = application is not None and (
        (ctx.role == "student" and application.student_id == ctx.user_id) or ctx.role == "advisor"
    )
    if not visible or application is None:
        raise NotFoundError("That application does not exist or is not yours.")
    return application


def current_application(ctx: LaunchContext, listing_id: int) -> Application | None:
    """The launch student's application to a listing that is not withdrawn, if any."""
    return db.session.scalar(
        select(Application).where(
            Application.tenant_id == ctx.tenant_id,
            Application.listing_id == listing_id,
            Application.student_id == ctx.user_id,
            Application.status != "withdrawn",
        )
    )


def applications_by_listing(tenant_id: int) -> list[tuple[Listing, int, int]]:
    """Listings of the tenant with applications: (listing, open applications, all but
    withdrawn), the most recent first."""
    open_count = func.sum(case((Application.status.in_(OPEN_STATUSES), 1), else_=0))
    rows = db.session.execute(
        select(Listing, open_count, func.count(Application.id))
        .join(Application, Application.listing_id == Listing.id)
        .where(Listing.tenant_id == tenant_id, Application.status != "withdrawn")
        .group_by(Listing.id)
        .order_by(func.max(Application.created_at).desc())
    ).all()
    return [(listing, int(opened or 0), int(total)) for listing, opened, total in rows]


def withdraw_application(ctx: LaunchContext, application_id: int) -> Application:
    """The student withdraws an application that is not yet decided."""
    application = get_application(ctx, application_id)
    if ctx.role != "student":
        raise ForbiddenError("Only the student withdraws an application.", reason="role")
    if application.status not in OPEN_STATUSES:
        raise PolicyViolationError(
            "Only an application that is still under consideration can be withdrawn.",
            reason="not_withdrawable",
        )
    application.status = "withdrawn"
    application.decided_at = utcnow()
    db.session.flush()
    audit.record(ctx.actor, "application.withdraw", ctx.tenant_id, application_id=application.id)
    return application


def restorable(application: Application, today: dt.date) -> bool:
    """Whether a withdrawal can still be taken back: nothing depends on it while the listing
    takes applications (open, its deadline not passed)."""
    listing = application.listing
    deadline = listing.application_deadline
    return (
        application.status == "withdrawn"
        and listing.status == "open"
        and (deadline is None or deadline >= today)
    )


def restore_application(
    ctx: LaunchContext, application_id: int, today: dt.date | None = None
) -> Application:
    """The student takes back a withdrawal (undo) while the listing still takes applications:
    the application is under consideration again, as submitted, with what it held."""
    application = get_application(ctx, application_id)
    if ctx.role != "student":
        raise ForbiddenError("Only the student takes back a withdrawal.", reason="role")
    if not restorable(application, today or today_in(ctx.time_zone)):
        raise PolicyViolationError(
            "This withdrawal can no longer be taken back: the listing does not take "
            "applications any more."
            if application.status == "withdrawn"
            else "Only a withdrawn application can be taken back.",
            reason="not_restorable",
        )
    application.status = "submitted"
    application.decided_at = None
    db.session.flush()
    audit.record(ctx.actor, "application.restore", ctx.tenant_id, application_id=application.id)
    return application


def listing_applicants(tenant_id: int, listing_id: int) -> list[Application]:
    """The listing's applications an employer may see (consented, not withdrawn)."""
    return list(
        db.session.scalars(
            select(Application)
            .options(joinedload(Application.student))
            .where(
                Application.tenant_id == tenant_id,
                Application.listing_id == listing_id,
                Application.status != "withdrawn",
                Application.consented_at.is_not(None),
            )
            .order_by(Application.created_at, Application.id)
        )
    )


def _application_to_decide(
    tenant_id: int, application_id: int, listing_id: int | None
) -> Application:
    """The consented application, locked (on ``listing_id`` when a supervisor decides)."""
    stmt = select(Application).where(
        Application.id == application_id,
        Application.tenant_id == tenant_id,
        Application.consented_at.is_not(None),
    )
    if listing_id is not None:
        stmt = stmt.where(Application.listing_id == listing_id)
    application = db.session.scalar(stmt.with_for_update())
    if application is None:
        raise NotFoundError("That application does not exist.")
    return application


def _check_decision(application: Application, new_status: str) -> None:
    allowed = {
        "submitted": (*OPEN_STATUSES[1:], "accepted", "declined"),
        "shortlisted": ("accepted", "declined"),
    }
    if new_status not in allowed.get(application.status, ()):
        raise PolicyViolationError(
            f"This application is {application.status}; it cannot be {new_status} now.",
            reason="decision_not_allowed",
        )


def _tell_applicant(
    tenant_id: int, application: Application, new_status: str, engagement: Engagement | None
) -> None:
    title = application.listing.title
    messages = {
        "shortlisted": f"You are on the shortlist for “{title}”.",
        "accepted": f"You were accepted for “{title}”. Read and acknowledge your learning "
        "agreement to start.",
        "declined": f"Your application for “{title}” was not successful this time.",
    }
    notify(
        tenant_id,
        application.student_id,
        f"application_{new_status}",
        messages[new_status],
        application_id=application.id,
        engagement_id=engagement.id if engagement else None,
    )


def decide_application(
    actor: Actor,
    application_id: int,
    decision: str,
    *,
    by_advisor: bool,
    override_reason: str = "",
    listing_id: int | None = None,
) -> Application:
    """Shortlist, accept or decline an application (the supervisor of ``listing_id`` through a
    signed link, or an advisor). Accepting creates the engagement; a breach of the workload
    caps is refused unless an advisor gives a reason, which is audited."""
    if decision not in DECISIONS:
        raise PolicyViolationError("Choose shortlist, accept or decline.", reason="decision")
    tenant_id = actor.tenant
    application = _application_to_decide(tenant_id, application_id, listing_id)
    new_status = DECISIONS[decision]
    _check_decision(application, new_status)
    engagement = None
    if new_status == "accepted":
        engagement = accept(actor, application, by_advisor, override_reason)
    application.status = new_status
    application.decided_by = actor.name
    application.decided_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        f"application.{new_status}",
        application_id=application.id,
        engagement_id=engagement.id if engagement else None,
    )
    _tell_applicant(tenant_id, application, new_status, engagement)
    return application
