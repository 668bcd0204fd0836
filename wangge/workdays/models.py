"""Models of the workdays context."""
