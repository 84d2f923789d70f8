"""State-changing operations of the core. Services flush; the caller commits once."""
