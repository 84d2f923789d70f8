"""The internship work fixtures (a school with people who arrive by real launches, listings)."""

from tests.internships.work.conftest import school, seed_listing

__all__ = ["school", "seed_listing"]
