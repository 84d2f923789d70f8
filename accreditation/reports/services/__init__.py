"""Services of the advisor reports: each takes the tenant (or the launch context) and its
inputs explicitly, and only reads, except notes, shares and thresholds (which flush)."""
