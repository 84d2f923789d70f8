"""Advisor reports: progress across courses, students at risk, employer outcomes, progress
reports (page, PDF, CSV)."""
