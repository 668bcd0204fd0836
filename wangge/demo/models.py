"""Models of the demo context."""
