"""An engagement's dates against its course's term: credit is awarded within a term, so an
agreement whose work runs outside it is accepted only when whoever sets it says so."""

from __future__ import annotations

import datetime as dt

from lti_tool.extensions import db
from lti_tool.models import Course

BEYOND_TERM = (
    "Credit is awarded within a term: change the dates, or tick “The work runs beyond the "
    "course's term” to go ahead knowingly."
)


def outside_term(course_id: int | None, start: dt.date | None, end: dt.date | None) -> str | None:
    """Why the dates leave the course's term (None when inside it, or when the course or its
    term is not known)."""
    course = db.session.get(Course, course_id) if course_id else None
    if course is None:
        return None
    first, last = course.term_dates()
    if first is None or last is None:
        return None
    term = f"{first.strftime('%-d %B %Y')} to {last.strftime('%-d %B %Y')}"
    if start is not None and start < first:
        return f"The work starts before the course's term ({term})."
    if end is not None and end > last:
        return f"The work ends after the course's term ({term})."
    return None
