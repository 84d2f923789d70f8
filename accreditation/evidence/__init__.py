"""Outcome evidence: what a student demonstrated, against which version of which outcome."""
