"""Models of accreditation.credentials (every row carries its tenant)."""

from __future__ import annotations
