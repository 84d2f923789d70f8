"""accreditation: domain package (see DESIGN.md)."""
