"""Models of the points context (to be built by its issue)."""
