"""The student profile (what matching and eligibility read) and the "For you" recommendations."""
