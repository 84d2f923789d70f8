"""Models of internships.workspace.rhythm (every row carries its tenant)."""

from __future__ import annotations
