"""State changes and queries of applications and engagements. Every function takes the launch
context (or an actor string and a tenant id) explicitly, flushes, and leaves the commit to the
caller."""
