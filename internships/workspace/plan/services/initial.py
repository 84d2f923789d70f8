"""The milestones set with the acceptance: part of the learning agreement the advisor sends and
the student acknowledges, so they start agreed (a change record says who set them and when);
from then on they change only by the agreement of the student and the supervisor
(``milestones.propose_change``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import Milestone, MilestoneChange
from .milestones import MAX_TITLE, MilestoneInvalidError

MAX_AT_ACCEPTANCE = 20
# the date, then an optional colon or dash (hyphen, en or em dash), then the title
LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[:\-\u2013\u2014]?\s*(.*?)\s*$")
FIELD = "milestones"  # the acceptance form's field


@dataclass(frozen=True)
class Planned:
    due_date: dt.date
    title: str


def _error(message: str) -> MilestoneInvalidError:
    return MilestoneInvalidError(
        "Nobody was accepted: correct the milestones.", errors={FIELD: message}, reason="invalid"
    )


def _parse_line(number: int, line: str) -> Planned:
    match = LINE.match(line)
    if match is None:
        raise _error(
            f"Line {number}: start with the due date, then the title, "
            "like “2027-02-01 First draft of the dashboard”."
        )
    try:
        due = dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise _error(f"Line {number}: {match.group(1)} is not a date.") from None
    title = match.group(2)
    if not title:
        raise _error(f"Line {number}: say what is due after the date.")
    if len(title) > MAX_TITLE:
        raise _error(f"Line {number}: keep the title to {MAX_TITLE} characters or fewer.")
    return Planned(due, title)


def parse(text: str, engagement: Engagement, today: dt.date) -> list[Planned]:
    """The milestones written one per line as "YYYY-MM-DD title", checked against the
    engagement's dates; MilestoneInvalidError names the line at fault."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) > MAX_AT_ACCEPTANCE:
        raise _error(f"Set at most {MAX_AT_ACCEPTANCE} milestones now; add more later.")
    planned = []
    for number, line in lines:
        item = _parse_line(number, line)
        if item.due_date < today:
            raise _error(f"Line {number}: {item.due_date:%-d %B %Y} has passed.")
        if engagement.end_date is not None and item.due_date > engagement.end_date:
            raise _error(
                f"Line {number}: the engagement ends on {engagement.end_date:%-d %B %Y}; "
                "choose a day before then."
            )
        planned.append(item)
    return sorted(planned, key=lambda item: item.due_date)


def set_at_acceptance(
    actor: Actor, engagement: Engagement, text: str, today: dt.date
) -> list[Milestone]:
    """Create the milestones written with the acceptance (none when ``text`` is blank); each
    gets an agreed change record. Flushes; the caller commits."""
    planned = parse(text, engagement, today)
    now = utcnow()
    made = []
    for position, item in enumerate(planned, 1):
        milestone = Milestone(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement.id,
            title=item.title,
            due_date=item.due_date,
            position=position,
        )
        db.session.add(milestone)
        made.append(milestone)
    db.session.flush()
    for milestone in made:
        db.session.add(
            MilestoneChange(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement.id,
                milestone_id=milestone.id,
                kind="add",
                after={"title": milestone.title, "due_date": milestone.due_date.isoformat()},
                status="agreed",
                proposed_by=actor.name,
                proposed_role="advisor",
                decided_by=actor.name,
                decided_at=now,
            )
        )
    if made:
        db.session.flush()
        audit.record(
            actor, "workspace.milestones_set", engagement_id=engagement.id, count=len(made)
        )
    return made
