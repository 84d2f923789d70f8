"""Services of internships.workspace.plan: the onboarding checklist (``checklists``), the
milestones and their agreed changes (``milestones``), and the student's calendar feed
(``calendar``). The read-only helpers other areas use (the rhythm's reminders and at-risk
flags) are named here."""

from __future__ import annotations

from .checklists import hours_before_kickoff, kickoff_done_at
from .milestones import due_on, late_milestones, milestones_of

__all__ = ["due_on", "hours_before_kickoff", "kickoff_done_at", "late_milestones", "milestones_of"]
