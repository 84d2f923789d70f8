"""The one next step on a student's home (issue 18): answer requested changes, acknowledge an
agreement, finish a reflection, submit or log hours; else whom the student waits for; else
find a micro-internship. Read from the engagements' facts (``timeline.StudentWork``): no
query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .timeline import EngagementFacts


@dataclass(frozen=True)
class NextStep:
    """The one thing to do now (``endpoint`` and ``args``: where its button leads), or whom
    the student waits for (``waiting``: no button of theirs but a link to look)."""

    key: str
    title: str
    text: str
    endpoint: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    waiting: bool = False


def _in_course(f: EngagementFacts, course_id: int | None) -> bool:
    return course_id is None or f.course_id in (course_id, None)


def _engagement_step(f: EngagementFacts) -> NextStep | None:
    """The next step an engagement asks of its student, or None when it asks nothing."""
    page = {"engagement_id": f.id}
    if f.reopened:
        args = {"course_id": f.course_id} if f.course_id else page
        where = "credit.changes" if f.course_id else "work.engagement"
        text = f"Your instructor asked for changes to your work on “{f.title}”."
        return NextStep(
            "changes", "Answer the requested changes", text, where, "See what to change", args
        )
    if f.status != "active":
        return None
    if not f.acknowledged:
        text = (
            f"Read the learning agreement for “{f.title}” with {f.employer} and accept it: "
            "then you can log hours."
        )
        return NextStep(
            "agreement",
            "Acknowledge the learning agreement",
            text,
            "work.engagement",
            "Read the agreement",
            page,
        )
    if f.hours_done and not f.reflection_submitted:
        text = f"Your hours on “{f.title}” are logged. Write your reflection to finish the work."
        return NextStep(
            "reflection",
            "Finish the reflection",
            text,
            "work.reflection",
            "Write your reflection",
            page,
        )
    if f.hours_done:
        text = (
            f"Your hours and reflection on “{f.title}” are in. "
            "Submit the work for your instructor's review."
        )
        return NextStep(
            "submit",
            "Submit your work for review",
            text,
            "work.engagement",
            "Open the engagement",
            page,
        )
    week = f"{f.week_minutes / 60:g}"
    text = f"“{f.title}” with {f.employer}: {week} hours logged this week."
    return NextStep("hours", "Log this week's hours", text, "work.engagement", "Log hours", page)


def _waiting_step(f: EngagementFacts) -> NextStep:
    page = {"engagement_id": f.id}
    if f.pending_minutes:
        who, what = "your supervisor", f"to confirm {f.pending_minutes / 60:g} hours"
    elif not f.evaluated:
        who, what = "your supervisor", "for the evaluation of your work"
    else:
        who, what = "your instructor", "to review your work"
    text = f"You submitted “{f.title}”. We are waiting for {who} {what}."
    return NextStep(
        "waiting",
        f"Waiting for {who}",
        text,
        "work.engagement",
        "See the engagement",
        page,
        waiting=True,
    )


def next_step(
    facts: list[EngagementFacts], open_applications: int, course_id: int | None
) -> NextStep:
    """The one thing to do now in this course: answer requested changes, acknowledge an
    agreement, finish a reflection or log hours; else whom the student waits for; else find a
    micro-internship."""
    here = [f for f in facts if _in_course(f, course_id)]
    steps = [s for f in here if (s := _engagement_step(f)) is not None]
    order = ("changes", "agreement", "reflection", "submit", "hours")
    if steps:
        return min(steps, key=lambda s: order.index(s.key))
    submitted = [f for f in here if f.status == "submitted"]
    if submitted:
        return _waiting_step(submitted[0])
    if open_applications:
        text = "An employer is looking at your application. Meanwhile you can apply to more."
        return NextStep(
            "applied",
            "Waiting for a decision",
            text,
            "work.my_applications",
            "See my applications",
            waiting=True,
        )
    finished = [f for f in here if f.status == "completed"]
    title, text = (
        "Find a micro-internship",
        (
            "Micro-internships are short, paid projects with real employers; the ones you finish "
            "count toward credit in this course."
        ),
    )
    if finished:
        title = "Find your next micro-internship"
        text = f"Your work on “{finished[0].title}” is complete; your credit is below. {text}"
    return NextStep("find", title, text, "internships.board", "See the listings")
