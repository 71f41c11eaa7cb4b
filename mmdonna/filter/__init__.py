"""mmdonna.filter (see ../shared/DESIGN.md)."""
