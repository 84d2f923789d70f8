"""Internship services: verbs with explicit arguments. They flush; the caller commits."""
