"""Talking to other systems: Canvas REST, Moodle web services, listing feeds."""
