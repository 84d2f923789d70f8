"""Models of internships.workspace.messages (every row carries its tenant)."""

from __future__ import annotations
