"""Models of internships.employers.pay (every row carries its tenant)."""

from __future__ import annotations
