"""Applications and engagements: applying, selection, learning agreements, hours, deliverables,
reflections, supervisor evaluations, signed supervisor links, notifications and email."""
