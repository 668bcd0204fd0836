"""Models of the wishes context (to be built by its issue)."""
