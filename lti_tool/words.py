"""Counts and amounts in words: "1 student meets", "3 students meet" — never "1 students" or
"opening(s)"; "$1,234.50", never a bare "1234.50".

``plural`` is the ``plural`` template filter (registered in ``lti_tool.web``) and is called
from Python where a message counts something; ``money`` writes every amount a person reads."""

from __future__ import annotations


def plural(count: int | float, singular: str, plural: str | None = None) -> str:
    """The count and the noun (or phrase) that agrees with it: ``plural(1, "opening")`` is
    "1 opening", ``plural(2, "student meets", "students meet")`` "2 students meet"; whole
    counts are grouped by thousands ("1,234 ratings")."""
    words = singular if count == 1 else (plural if plural is not None else singular + "s")
    number = f"{count:,}" if isinstance(count, int) else f"{count:,g}"
    return f"{number} {words}"


CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "AUD": "A$"}


def money(cents: int | None, currency: str = "USD", *, whole: bool = False) -> str:
    """An amount with its currency's sign: "$1,234.50" (an unknown currency: "1,234.50 CHF");
    ``whole`` drops ".00" ("$15")."""
    amount = f"{(cents or 0) / 100:,.2f}"
    if whole:
        amount = amount.removesuffix(".00")
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


# One name per role, on every page and in every message (issue 17): the header, refusals.
ROLE_LABELS = {
    "student": "Student",
    "faculty": "Instructor",
    "advisor": "Career advisor",
    "admin": "Career Credit administrator",
    "observer": "Observer",
}


def role_name(role: str) -> str:
    """A launch role in words, lower case for the middle of a sentence ("instructor")."""
    label = ROLE_LABELS.get(role, role)
    return label if label.startswith("Career Credit") else label.lower()


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    if len(items) < 3:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# How a state looks as a status pill (issue 18): the pill always carries the state's words, the
# tone only adds colour and an icon, so nothing depends on colour alone. States of listings,
# applications, engagements, hours, credit standing, awards and grade syncs; unknown: neutral.
STATE_TONES = {
    # done, good
    "open": "success",
    "accepted": "success",
    "completed": "success",
    "confirmed": "success",
    "awarded": "success",
    "sent": "success",
    "done": "success",
    "approved": "success",
    "final": "success",
    "acknowledged": "success",
    # under way
    "active": "info",
    "in_progress": "info",
    "submitted": "info",
    "shortlisted": "info",
    "queued": "info",
    "running": "info",
    "resubmitted": "info",
    "ready": "info",
    "sending": "info",
    # waiting for someone
    "pending": "warning",
    "pending_approval": "warning",
    "awaiting_approval": "warning",
    "changes_requested": "warning",
    "queried": "warning",
    "no_column": "warning",
    "waiting": "warning",
    # went wrong, refused
    "failed": "danger",
    "denied": "danger",
    "declined": "danger",
    "rejected": "danger",
    "overdue": "danger",
    # finished without effect
    "draft": "neutral",
    "closed": "neutral",
    "expired": "neutral",
    "filled": "neutral",
    "withdrawn": "neutral",
    "cancelled": "neutral",
    "superseded": "neutral",
    "not_started": "neutral",
}

TONE_ICONS = {
    "success": "circle-check",
    "info": "circle-dot",
    "warning": "clock",
    "danger": "circle-alert",
    "neutral": "circle",
}


def tone(state: str | None) -> str:
    """The pill tone of a state: success, info, warning, danger or neutral."""
    return STATE_TONES.get(state or "", "neutral")
