"""The words of each reminder email: what is due, what to do, and the link to do it."""

from __future__ import annotations

from typing import Any

from .settings import RhythmSettings

SIGN_OFF = "\n\nCareer Credit, for your career center\n"


def _student_link(link: str) -> str:
    return (
        "Open Career Credit from your course in the LMS and go to the engagement; with the "
        f"tool already open in your browser, this address takes you there:\n{link}"
    )


def reminder_text(
    kind: str, recipient: str, row: Any, link: str, settings: RhythmSettings
) -> tuple[str, str]:
    """(subject, body) of one reminder; ``row`` holds the title, the student's and the
    recipient's names (and a milestone's title and due date)."""
    title, student = row.title, row.student or "your intern"
    hello = f"Hello {row.greet or 'there'},\n\n"
    if kind == "agreement":
        return (
            f"Career Credit: accept your learning agreement for {title}",
            f"{hello}Your learning agreement for “{title}” is waiting for you to accept it. "
            "Until you do, you cannot log hours, hand in deliverables or check in.\n\n"
            "What to do: read the agreement and press “I have read and accept this learning "
            f"agreement”. {_student_link(link)}{SIGN_OFF}",
        )
    if kind == "hours":
        return (
            f"Career Credit: hours by {student} wait for your confirmation",
            f"{hello}{student} logged hours on “{title}” that have waited more than "
            f"{settings.hours_days} days for your confirmation.\n\n"
            "What to do: open this link, check each entry, and confirm it or ask a question "
            f"about it:\n{link}\n\nThe link works once and expires in a few days; no account "
            f"is needed.{SIGN_OFF}",
        )
    if kind == "milestone":
        due = row.due.strftime("%A %-d %B")
        if recipient == "student":
            return (
                f"Career Credit: “{row.milestone}” is due tomorrow",
                f"{hello}The milestone “{row.milestone}” of “{title}” is due tomorrow, {due}.\n\n"
                "What to do: finish it and hand in its deliverable, or agree a new date with "
                f"your supervisor. {_student_link(link)}{SIGN_OFF}",
            )
        return (
            f"Career Credit: {student}'s milestone “{row.milestone}” is due tomorrow",
            f"{hello}{student}'s milestone “{row.milestone}” of “{title}” is due tomorrow, "
            f"{due}.\n\nWhat to do: check in with {student} on the project workspace (messages, "
            f"check-ins, milestones):\n{link}\n\nThe link opens your workspace page for this "
            f"project; no account is needed.{SIGN_OFF}",
        )
    days = settings.no_activity_days
    if recipient == "student":
        return (
            f"Career Credit: nothing has happened on {title} for {days} days",
            f"{hello}Nothing has happened on “{title}” for {days} days: no hours, check-ins, "
            "deliverables or messages.\n\nWhat to do: log the hours you worked, check in for "
            "the week, or send your supervisor a message. If the project has stalled, tell "
            f"your advisor. {_student_link(link)}{SIGN_OFF}",
        )
    return (
        f"Career Credit: no activity on {student}'s project for {days} days",
        f"{hello}Nothing has happened on “{title}” with {student} for {days} days.\n\n"
        f"What to do: open the project workspace, send {student} a message or confirm their "
        f"check-in:\n{link}\n\nThe link opens your workspace page for this project; no account "
        f"is needed.{SIGN_OFF}",
    )
