"""Student-data rights and retention: export everything held about a person, pseudonymise or
erase them, and delete what the retention rules say is no longer needed."""
