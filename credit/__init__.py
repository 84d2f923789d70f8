"""credit: domain package (see DESIGN.md)."""
