"""Pages for tool administrators: registrations, deployments, keys, advisors, settings."""
