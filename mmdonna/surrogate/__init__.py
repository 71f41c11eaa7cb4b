"""mmdonna.surrogate (see ../shared/DESIGN.md)."""
