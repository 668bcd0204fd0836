"""Models of the notifications context."""
