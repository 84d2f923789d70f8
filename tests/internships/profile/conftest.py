"""The profile tests share the work tests' school (real signed launches) and listing seeds."""

from tests.internships.work.conftest import school, seed_listing  # noqa: F401
