"""Attainment reports: student, course, program and term reports, coverage, accreditation
exports."""
