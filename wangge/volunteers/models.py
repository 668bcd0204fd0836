"""Models of the volunteers context (to be built by its issue)."""
