"""Models of the appeals context (to be built by its issue)."""
