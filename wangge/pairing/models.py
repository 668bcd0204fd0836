"""Models of the pairing context (to be built by its issue)."""
