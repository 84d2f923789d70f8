"""Models of internships.workspace.plan (every row carries its tenant)."""

from __future__ import annotations
