"""Demo data for ``make run`` and the sandbox: eight employers and thirty listings in every
status; the sandbox's people as tool users with profiles; applications and engagements in every
state, with hour logs, deliverables, reflections and supervisor evaluations. Idempotent:
listings are keyed by source ``import`` and a ``demo-…`` external id, applications by listing
and student, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db

from .models import Listing
from .services.listings import (
    CLOSING_STATUSES,
    ListingInput,
    approve_listing,
    close_listing,
    create_listing,
    ensure_employer,
    expire_listings,
)
from .vocabulary import UNPAID_FACTORS

ACTOR = "Career Credit demo data"

EMPLOYERS = {
    "Bean & Leaf Roasters": ("https://beanandleaf.example", "Maya Ortiz", True),
    "Riverside Food Bank": ("https://riversidefoodbank.example", "Sam Okafor", True),
    "Northwind Design Studio": ("https://northwind.example", "Priya Nair", True),
    "Harbor Logistics": ("https://harborlogistics.example", "Dan Kowalski", False),
    "Lumen Health Clinic": ("https://lumenhealth.example", "Grace Lee", True),
    "City Parks Foundation": ("https://cityparks.example", "Luis Romero", False),
    "Brightpath Tutoring": ("https://brightpath.example", "Hannah Weiss", True),
    "Ferro Robotics": ("https://ferro.example", "Aiko Tanaka", True),
}

# key, employer, title, summary, hours, compensation, pay (cents), location type, place,
# skills, competencies, tags, days until the deadline, status wanted
LISTINGS: tuple[tuple, ...] = (
    (
        "d01",
        "Bean & Leaf Roasters",
        "Sales data analysis for a coffee roaster",
        "Find what sells when across three cafés.",
        20,
        "fixed",
        60000,
        "remote",
        "",
        ["data-analysis", "spreadsheet-software", "tableau"],
        ["Critical Thinking", "Technology"],
        ["retail", "food"],
        21,
        "open",
    ),
    (
        "d02",
        "Bean & Leaf Roasters",
        "Social media content for a seasonal launch",
        "Plan and draft two weeks of posts for a new blend.",
        12,
        "hourly",
        2000,
        "hybrid",
        "Downtown café",
        ["social-media-content-creation", "copywriting", "canva"],
        ["Communication"],
        ["marketing"],
        14,
        "open",
    ),
    (
        "d03",
        "Bean & Leaf Roasters",
        "Customer survey design",
        "Design, run and summarise a short customer survey.",
        15,
        "fixed",
        40000,
        "remote",
        "",
        ["survey-design", "survey-data-analysis"],
        ["Critical Thinking", "Communication"],
        ["research"],
        30,
        "open",
    ),
    (
        "d04",
        "Riverside Food Bank",
        "Volunteer scheduling dashboard",
        "Turn a tangle of sign-up sheets into a dashboard the team can use.",
        25,
        "fixed",
        75000,
        "remote",
        "",
        ["dashboard-design", "google-sheets", "data-cleaning"],
        ["Technology", "Teamwork"],
        ["nonprofit"],
        18,
        "open",
    ),
    (
        "d05",
        "Riverside Food Bank",
        "Grant application research",
        "Find and summarise ten foundation grants that fit our programmes.",
        10,
        "unpaid",
        None,
        "remote",
        "",
        ["grant-writing", "literature-review"],
        ["Critical Thinking"],
        ["nonprofit", "writing"],
        20,
        "pending_approval",
    ),
    (
        "d06",
        "Riverside Food Bank",
        "Food drive event plan",
        "Plan logistics and promotion for the spring campus food drive.",
        20,
        "hourly",
        1600,
        "onsite",
        "Riverside warehouse",
        ["event-planning", "event-promotion"],
        ["Leadership", "Teamwork"],
        ["events", "nonprofit"],
        25,
        "open",
    ),
    (
        "d07",
        "Northwind Design Studio",
        "Accessible website refresh",
        "Audit a small business site for accessibility and fix what you find.",
        30,
        "fixed",
        120000,
        "remote",
        "",
        ["accessibility-testing", "html", "css"],
        ["Technology", "Equity & Inclusion"],
        ["wcag", "web"],
        16,
        "open",
    ),
    (
        "d08",
        "Northwind Design Studio",
        "Brand identity refresh for a bakery",
        "Propose a logo refresh and a one-page brand guide.",
        18,
        "fixed",
        54000,
        "remote",
        "",
        ["brand-identity-design", "adobe-illustrator"],
        ["Communication", "Professionalism"],
        ["design"],
        12,
        "open",
    ),
    (
        "d09",
        "Northwind Design Studio",
        "Usability interviews for a booking app",
        "Run five usability interviews and report the top issues.",
        16,
        "hourly",
        2200,
        "remote",
        "",
        ["user-research", "interviewing"],
        ["Communication", "Critical Thinking"],
        ["ux"],
        9,
        "open",
    ),
    (
        "d10",
        "Northwind Design Studio",
        "Figma component library clean-up",
        "Tidy and document a component library.",
        14,
        "hourly",
        2000,
        "remote",
        "",
        ["figma", "documentation"],
        ["Technology"],
        ["design"],
        40,
        "draft",
    ),
    (
        "d11",
        "Harbor Logistics",
        "Warehouse inventory data clean-up",
        "Reconcile stock records and document the fixes.",
        20,
        "fixed",
        50000,
        "hybrid",
        "Port district office",
        ["data-cleaning", "inventory-management", "spreadsheet-software"],
        ["Critical Thinking", "Professionalism"],
        ["logistics"],
        10,
        "open",
    ),
    (
        "d12",
        "Harbor Logistics",
        "Route cost comparison",
        "Compare carrier quotes for twelve delivery routes.",
        12,
        "hourly",
        1300,
        "remote",
        "",
        ["supply-chain-analysis", "pricing-analysis"],
        ["Critical Thinking"],
        ["logistics"],
        15,
        "pending_approval",
    ),
    (
        "d13",
        "Harbor Logistics",
        "Safety training slide deck",
        "Turn a safety manual into a clear twenty-minute training deck.",
        10,
        "fixed",
        30000,
        "remote",
        "",
        ["presentation-design", "training-material-development"],
        ["Communication"],
        ["training"],
        -3,
        "expired",
    ),
    (
        "d14",
        "Lumen Health Clinic",
        "Patient newsletter in plain language",
        "Rewrite the quarterly newsletter in plain language, in English and Spanish.",
        15,
        "fixed",
        45000,
        "remote",
        "",
        ["editing-and-proofreading", "spanish-language"],
        ["Communication", "Equity & Inclusion"],
        ["health", "writing"],
        22,
        "open",
    ),
    (
        "d15",
        "Lumen Health Clinic",
        "Appointment no-show analysis",
        "Find patterns in missed appointments from anonymised data.",
        24,
        "hourly",
        2500,
        "remote",
        "",
        ["statistical-analysis", "python-programming", "sql"],
        ["Critical Thinking", "Technology"],
        ["health", "data"],
        19,
        "open",
    ),
    (
        "d16",
        "Lumen Health Clinic",
        "Front-desk workflow study",
        "Observe the front desk and map the check-in process.",
        20,
        "hourly",
        1800,
        "onsite",
        "Lumen clinic, Elm Street",
        ["process-documentation", "process-improvement"],
        ["Professionalism", "Teamwork"],
        ["health", "operations"],
        8,
        "filled",
    ),
    (
        "d17",
        "City Parks Foundation",
        "Park visitor counts in GIS",
        "Map visitor counts for twelve parks and find underserved areas.",
        30,
        "fixed",
        90000,
        "hybrid",
        "Parks office",
        ["geographic-information-systems", "data-visualisation"],
        ["Technology", "Equity & Inclusion"],
        ["environment", "maps"],
        28,
        "open",
    ),
    (
        "d18",
        "City Parks Foundation",
        "Tree inventory field survey",
        "Record species and condition of trees in two parks.",
        16,
        "unpaid",
        None,
        "onsite",
        "Lakeside Park",
        ["environmental-assessment", "data-entry"],
        ["Professionalism"],
        ["environment"],
        12,
        "open_unpaid",
    ),
    (
        "d19",
        "City Parks Foundation",
        "Sustainability report draft",
        "Draft the foundation's first sustainability report.",
        25,
        "fixed",
        70000,
        "remote",
        "",
        ["sustainability-reporting", "scientific-writing"],
        ["Communication"],
        ["environment", "writing"],
        35,
        "open",
    ),
    (
        "d20",
        "City Parks Foundation",
        "Volunteer day photography",
        "Photograph a volunteer day and edit a set of twenty images.",
        8,
        "fixed",
        24000,
        "onsite",
        "Hillcrest Park",
        ["photography", "adobe-photoshop"],
        ["Professionalism"],
        ["media"],
        -10,
        "closed",
    ),
    (
        "d21",
        "Brightpath Tutoring",
        "Algebra practice set authoring",
        "Write and check forty algebra practice problems with solutions.",
        20,
        "fixed",
        52000,
        "remote",
        "",
        ["curriculum-development", "tutoring"],
        ["Communication"],
        ["education", "math"],
        17,
        "open",
    ),
    (
        "d22",
        "Brightpath Tutoring",
        "E-learning module on study skills",
        "Build a short self-paced module on study skills.",
        25,
        "hourly",
        2100,
        "remote",
        "",
        ["instructional-design", "e-learning-authoring"],
        ["Technology", "Career & Self-Development"],
        ["education"],
        26,
        "open",
    ),
    (
        "d23",
        "Brightpath Tutoring",
        "Tutor recruiting campaign",
        "Plan a campus campaign to recruit twenty tutors.",
        12,
        "fixed",
        15000,
        "hybrid",
        "Student union",
        ["recruiting", "social-media-marketing"],
        ["Leadership"],
        ["education", "marketing"],
        11,
        "pending_approval",
    ),
    (
        "d24",
        "Ferro Robotics",
        "Test automation scripts",
        "Write automated tests for a robot arm's control API.",
        35,
        "hourly",
        3000,
        "remote",
        "",
        ["software-testing", "python-programming", "api-integration"],
        ["Technology", "Teamwork"],
        ["engineering", "software"],
        24,
        "open",
    ),
    (
        "d25",
        "Ferro Robotics",
        "Technical documentation for a sensor kit",
        "Write setup and troubleshooting guides for a new sensor kit.",
        20,
        "fixed",
        64000,
        "remote",
        "",
        ["technical-writing", "documentation"],
        ["Communication", "Technology"],
        ["engineering", "writing"],
        13,
        "open",
    ),
    (
        "d26",
        "Ferro Robotics",
        "Competitor landscape brief",
        "Summarise eight competitors' products and prices.",
        10,
        "fixed",
        30000,
        "remote",
        "",
        ["competitive-analysis", "market-research"],
        ["Critical Thinking"],
        ["strategy"],
        7,
        "open",
    ),
    (
        "d27",
        "Ferro Robotics",
        "Trade show booth support",
        "Help run the booth at a regional trade show.",
        16,
        "hourly",
        2000,
        "onsite",
        "Convention centre",
        ["customer-service", "public-speaking"],
        ["Professionalism", "Communication"],
        ["events"],
        5,
        "open",
    ),
    (
        "d28",
        "Bean & Leaf Roasters",
        "Bookkeeping catch-up",
        "Categorise three months of transactions in QuickBooks.",
        15,
        "hourly",
        1900,
        "hybrid",
        "Roastery office",
        ["bookkeeping", "accounting-software"],
        ["Professionalism"],
        ["finance"],
        27,
        "open",
    ),
    (
        "d29",
        "Harbor Logistics",
        "Onboarding guide for new drivers",
        "Write a friendly onboarding guide for new delivery drivers.",
        12,
        "fixed",
        36000,
        "remote",
        "",
        ["onboarding-design", "content-writing"],
        ["Communication"],
        ["operations", "writing"],
        45,
        "draft",
    ),
    (
        "d30",
        "Lumen Health Clinic",
        "Community health fair outreach",
        "Reach out to community groups and book tables for the health fair.",
        14,
        "hourly",
        1700,
        "hybrid",
        "Clinic and community centres",
        ["community-management", "event-promotion"],
        ["Equity & Inclusion", "Teamwork"],
        ["health", "events"],
        20,
        "open",
    ),
)

JUSTIFICATION = {
    key: "Agreed in the learning agreement; the course instructor supervises the learning."
    for key, _ in UNPAID_FACTORS
}


def _description(title: str, summary: str, skills_text: str) -> str:
    return (
        f"{summary}\n\n## What you will do\n\n- Meet the supervisor to agree on the goals of "
        f"*{title.lower()}*\n- Work independently, with a short check-in each week\n- Hand in "
        f"the deliverables and a short reflection\n\n## What you will practise\n\n{skills_text}"
        "\n\nQuestions? Ask your career centre."
    )


def seed_listings(tenant_id: int, today: dt.date | None = None) -> int:
    """Create the demo employers and listings in a tenant; returns how many listings were new.
    Flushes; the caller commits."""
    today = today or dt.date.today()
    existing = set(
        db.session.scalars(
            select(Listing.external_id).where(
                Listing.tenant_id == tenant_id, Listing.source == "import"
            )
        )
    )
    employers = {
        name: ensure_employer(
            tenant_id, name, ACTOR, website=site, contact_name=contact, verified=verified
        )
        for name, (site, contact, verified) in EMPLOYERS.items()
    }
    created = 0
    for row in LISTINGS:
        (
            key,
            employer,
            title,
            summary,
            hours,
            comp,
            pay,
            loc_type,
            place,
            skill_ids,
            competencies,
            tags,
            days,
            status,
        ) = row
        external_id = f"demo-{key}"
        if external_id in existing:
            continue
        data = ListingInput(
            employer_id=employers[employer].id,
            title=title,
            summary=summary,
            description_md=_description(title, summary, ", ".join(skill_ids).replace("-", " ")),
            deliverables="A short report of what you did.\nThe files you produced.",
            estimated_hours=hours,
            compensation_type=comp,
            pay_amount_cents=pay,
            location_type=loc_type,
            location=place,
            skills=skill_ids,
            competencies=competencies,
            tags=tags,
            application_deadline=today + dt.timedelta(days=days),
            work_start=today + dt.timedelta(days=max(days, 0) + 7),
            work_end=today + dt.timedelta(days=max(days, 0) + 35),
        )
        listing = create_listing(
            tenant_id,
            data,
            ACTOR,
            submit=status != "draft",
            source="import",
            external_id=external_id,
        )
        if status == "open_unpaid":
            approve_listing(
                tenant_id, listing.id, ACTOR, note="Demo approval", justification=JUSTIFICATION
            )
        elif status in CLOSING_STATUSES:
            close_listing(tenant_id, listing.id, status, ACTOR)
        created += 1
    expire_listings(tenant_id, today, ACTOR)
    return created


# ---- people, applications and engagements -----------------------------------------------------
#
# The sandbox LMS's people and courses become tool-side users, courses and enrolments exactly as
# their first launch would make them (same ``sub`` and context id, from lti_tool.sandbox.seed;
# a later launch upserts the same rows), so every page has data before anyone launches.

WORK_ACTOR = "Jordan Ellis <jordan.ellis@example.edu> (demo data)"
ENROLMENT_ROLES = {"learner": "student", "instructor": "faculty", "ta": "faculty"}

PROFILES = {
    # person: program, class year, work authorisation, skills, interests, weekly hours
    "amara-okafor": ("Business Administration", "Third year", "US citizen/permanent resident",
                     ["data-analysis", "spreadsheet-software", "market-research"],
                     "retail analytics, small businesses", 10),
    "benjamin-tran": ("Computer Science", "Fourth year", "US citizen/permanent resident",
                      ["html", "css", "accessibility-testing", "python-programming"],
                      "accessible web design", 12),
    "chloe-martin": ("Public Health", "Third year", "Other",
                     ["statistical-analysis", "python-programming", "sql"],
                     "health data, community health", 10),
    "diego-ramirez": ("Computer Science", "Second year", "US citizen/permanent resident",
                      ["software-testing", "python-programming"], "robotics, testing", 8),
    "emily-nguyen": ("Marketing", "Second year", "US citizen/permanent resident",
                     ["user-research", "interviewing", "copywriting"], "UX research", 8),
    "grace-kim": ("Computer Science", "Fourth year",
                  "F-1 (CPT needed for credit-bearing off-campus work)",
                  ["technical-writing", "documentation", "python-programming"],
                  "developer documentation", 10),
}  # fmt: skip

# listing key, student, course, final state of the application or engagement
WORK_PLAN = (
    ("d02", "amara-okafor", "bus-390", "submitted"),
    ("d03", "chloe-martin", "bus-390", "shortlisted"),
    ("d08", "diego-ramirez", "cs-195", "declined"),
    ("d09", "emily-nguyen", "bus-390", "withdrawn"),
    ("d04", "grace-kim", "cs-195", "submitted"),
    ("d01", "amara-okafor", "bus-390", "active"),
    ("d07", "benjamin-tran", "cs-195", "submitted_engagement"),
    ("d15", "chloe-martin", "bus-390", "completed"),
    ("d24", "diego-ramirez", "cs-195", "cancelled"),
    ("d25", "grace-kim", "cs-195", "submitted_engagement"),
)
STATEMENT = (
    "I have done similar work in my courses and for a student society, I enjoy careful "
    "analysis and clear writing, and this project fits the hours I have this term."
)
REFLECTION = {
    "what": "I cleaned the data, built the analysis and presented the findings to the owner.",
    "learned": "I learned how much time real data needs before any analysis can start.",
    "competencies": "Critical thinking and communication: explaining results to non-experts.",
    "challenge": "The records were inconsistent; I agreed rules with the supervisor early.",
    "next": "Next time I will write the cleaning rules down on day one and share them.",
}


def _resume_pdf(name: str) -> bytes:
    """A one-page résumé (a real PDF, so the résumé download works in the demo)."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    pdf.setTitle(f"{name} — résumé (demo)")
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(72, 720, name)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 700, "Demo résumé generated by Career Credit's demo data.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def ensure_sandbox_people(tenant_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Users, courses and enrolments for the sandbox LMS's people, keyed by seed key; existing
    rows (from launches) are kept."""
    from lti_tool.models import Course, Enrolment, Registration, User
    from lti_tool.sandbox import seed

    # People and courses are per LMS: the demo's belong to the LMS the tenant launches from
    # (its newest registration's issuer, the sandbox for `make run`).
    issuer = (
        db.session.scalar(
            select(Registration.issuer)
            .where(Registration.tenant_id == tenant_id)
            .order_by(Registration.id.desc())
            .limit(1)
        )
        or ""
    )
    courses: dict[str, Course] = {}
    for key, label, title in seed.COURSES:
        context_id = seed.stable_id(f"course:{key}")
        course = db.session.scalar(
            select(Course).where(
                Course.tenant_id == tenant_id,
                Course.issuer == issuer,
                Course.context_id == context_id,
            )
        )
        if course is None:
            term, start, end = seed.TERM
            course = Course(
                tenant_id=tenant_id,
                issuer=issuer,
                context_id=context_id,
                title=title,
                label=label,
                term_name=term,
                term_start=start.isoformat(),
                term_end=end.isoformat(),
            )
            db.session.add(course)
        courses[key] = course
    users: dict[str, User] = {}
    for key, _kind, given, family in seed.PEOPLE:
        sub = seed.stable_id(f"person:{key}")
        user = db.session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.issuer == issuer, User.sub == sub)
        )
        if user is None:
            user = User(
                tenant_id=tenant_id,
                issuer=issuer,
                sub=sub,
                name=f"{given} {family}",
                email=seed._email(given, family),
            )
            db.session.add(user)
        users[key] = user
    db.session.flush()
    for course_key, person_key, role, status in seed.ENROLMENTS:
        tool_role = ENROLMENT_ROLES.get(role)
        if tool_role is None or status != "Active":
            continue  # observers see nothing; a dropped student never launches
        course, user = courses[course_key], users[person_key]
        exists = db.session.scalar(
            select(Enrolment.id).where(
                Enrolment.course_id == course.id, Enrolment.user_id == user.id
            )
        )
        if exists is None:
            db.session.add(
                Enrolment(tenant_id=tenant_id, course_id=course.id, user_id=user.id, role=tool_role)
            )
    db.session.flush()
    return users, courses


def _ctx(tenant_id: int, user: Any, role: str, course: Any = None) -> Any:
    """A launch context for demo actions (services take one; no launch row is needed)."""
    from lti_tool.context import LaunchContext
    from lti_tool.models import Tenant

    tenant = db.session.get(Tenant, tenant_id)
    return LaunchContext(
        launch_id="demo-data",
        tenant_id=tenant_id,
        tenant_name=tenant.name if tenant else "",
        time_zone=tenant.time_zone if tenant else "UTC",
        registration_id=0,
        user_id=user.id,
        user_name=user.name,
        user_email=user.email,
        course_id=course.id if course is not None else None,
        course_title=course.title if course is not None else "",
        role=role,
        read_only=False,
        is_tool_admin=False,
        message_type="LtiResourceLinkRequest",
        nrps_url=None,
        ags_lineitems_url=None,
        ags_lineitem_url=None,
        ags_scopes=(),
        deep_linking=None,
        placement=None,
        expires_at=dt.datetime(2100, 1, 1),
    )


def _profiles(tenant_id: int, users: dict[str, Any]) -> None:
    from .profile.models import StudentProfile
    from .profile.services import ProfileInput, save_profile

    for key, (program, year, auth, skill_ids, interests, hours) in PROFILES.items():
        user = users[key]
        exists = db.session.scalar(
            select(StudentProfile.id).where(
                StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == user.id
            )
        )
        if exists is None:
            save_profile(
                _ctx(tenant_id, user, "student"),
                ProfileInput(
                    program=program,
                    class_year=year,
                    work_authorization=auth,
                    skills=skill_ids,
                    interests=interests,
                    career_goals=f"Build experience in {interests}.",
                    weekly_availability_hours=hours,
                ),
            )


def _engage(ctx: Any, advisor: Any, engagement: Any, state: str, today: dt.date) -> None:
    """Take a new engagement through the learning agreement, hours, deliverable, reflection,
    evaluation and status of ``state``."""
    from .work.services import engagements as eng
    from .work.services import evaluations, hours

    start = today - dt.timedelta(days=24)
    eng.update_agreement(
        advisor,
        engagement.id,
        eng.AgreementInput(
            competencies=list(engagement.competencies) or ["Professionalism"],
            planned_hours=engagement.planned_hours,
            supervisor_name=engagement.listing.employer.contact_name or "Supervisor",
            supervisor_email=engagement.supervisor_email
            or f"supervisor@{engagement.listing.employer.website.split('//')[-1] or 'example.org'}",
            start_date=start,
            end_date=today + dt.timedelta(days=14),
            goals="Deliver the project described in the listing and practise its competencies.",
        ),
    )
    eng.acknowledge_agreement(ctx, engagement.id)
    logs = [
        hours.log_hours(ctx, engagement.id, start + dt.timedelta(days=d), h, text, today=today)
        for d, h, text in (
            (1, "3", "Kick-off meeting and reading the brief"),
            (3, "2.5", "Collected and cleaned the data"),
            (8, "3", "First analysis and draft findings"),
            (15, "2", "Revised the draft after feedback"),
        )
    ]
    if state == "cancelled":
        eng.change_status(advisor, engagement.id, "cancel")
        return
    decisions = {log.id: ("confirm", "") for log in logs[:2]}
    if state == "active":
        decisions[logs[2].id] = ("query", "Was this on the Tuesday or the Wednesday?")
    else:
        decisions.update({log.id: ("confirm", "") for log in logs[2:]})
    hours.review_hours(WORK_ACTOR, ctx.tenant_id, engagement.id, decisions, reviewer="supervisor")
    eng.add_deliverable(
        ctx, engagement.id, "Final report", url="https://docs.example.org/demo/final-report"
    )
    eng.save_reflection(ctx, engagement.id, REFLECTION, submit=state != "active")
    if state == "active":
        return
    eng.change_status(ctx, engagement.id, "submit")
    levels = (3, 4, 2, 3, 4)
    evaluations.submit_evaluation(
        f"supervisor link demo ({engagement.supervisor_name})",
        ctx.tenant_id,
        engagement.id,
        engagement.supervisor_name,
        {
            c: (levels[n % len(levels)], "Clear, careful work.")
            for n, c in enumerate(engagement.competencies)
        },
        "A reliable intern who asked good questions and delivered on time.",
    )
    if state == "completed":
        eng.change_status(advisor, engagement.id, "complete")


def seed_work(tenant_id: int, today: dt.date | None = None) -> int:
    """The sandbox people (users, course enrolments, profiles) and applications and
    engagements in every state, with hours, deliverables, reflections and evaluations.
    Idempotent (an application that exists is left alone); returns how many were new.
    Run after ``seed_listings``; flushes, the caller commits."""
    from .services.listings import get_listing
    from .work.models import Application
    from .work.services import applications as apps
    from .work.services.cpt import CptInput, record_cpt_approval

    today = today or dt.date.today()
    users, courses = ensure_sandbox_people(tenant_id)
    _profiles(tenant_id, users)
    advisor = _ctx(tenant_id, users["jordan-ellis"], "advisor")
    listing_ids = dict(
        db.session.execute(
            select(Listing.external_id, Listing.id).where(
                Listing.tenant_id == tenant_id, Listing.source == "import"
            )
        ).all()
    )
    created = 0
    for key, person, course_key, state in WORK_PLAN:
        listing_id = listing_ids.get(f"demo-{key}")
        if listing_id is None:
            continue
        student = users[person]
        exists = db.session.scalar(
            select(Application.id).where(
                Application.listing_id == listing_id, Application.student_id == student.id
            )
        )
        if exists is not None:
            continue
        ctx = _ctx(tenant_id, student, "student", courses[course_key])
        application = apps.apply_to_listing(
            ctx,
            listing_id,
            apps.ApplicationInput(
                statement=STATEMENT,
                availability="Weekday afternoons, about 8 hours a week",
                consent=True,
                resume=_resume_pdf(student.name),
                resume_filename=f"{person}-resume.pdf",
                program=PROFILES[person][0],
                class_year=PROFILES[person][1],
                meets_work_authorization=True,
            ),
            today=today,
        )
        created += 1
        if state == "withdrawn":
            apps.withdraw_application(ctx, application.id)
            continue
        decision = {"shortlisted": "shortlist", "declined": "decline"}.get(state, "accept")
        if state == "submitted":
            continue
        listing = get_listing(tenant_id, listing_id)
        if decision == "accept" and PROFILES[person][2].startswith("F-1"):
            record_cpt_approval(
                tenant_id,
                WORK_ACTOR,
                CptInput(
                    student_id=student.id,
                    start_date=min(listing.work_start or today, today - dt.timedelta(days=30)),
                    end_date=max(listing.work_end or today, today + dt.timedelta(days=60)),
                    dso_name="Dana Whitaker (PDSO)",
                    note="Demo: CPT authorised on the I-20 for this employer.",
                    listing_id=listing.id,
                ),
            )
        apps.decide_application(WORK_ACTOR, tenant_id, application.id, decision, by_advisor=True)
        if decision != "accept":
            continue
        from .work.models import Engagement

        engagement = db.session.scalar(
            select(Engagement).where(Engagement.application_id == application.id)
        )
        if engagement is not None:
            _engage(ctx, advisor, engagement, state.replace("_engagement", ""), today)
    db.session.flush()
    return created
