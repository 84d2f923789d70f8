"""Credit services: policies, progress, awards and their sync to the LMS gradebook."""
