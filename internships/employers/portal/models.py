"""Models of internships.employers.portal (every row carries its tenant)."""

from __future__ import annotations
