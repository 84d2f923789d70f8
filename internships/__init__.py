"""internships: domain package (see DESIGN.md)."""
