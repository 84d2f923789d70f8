"""Applications and engagements: applying, selection, learning agreements, hours, deliverables,
reflections and supervisor evaluations (the supervisors' own pages and their signed links are
the ``internships.supervisor`` area)."""
