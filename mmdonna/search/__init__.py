"""mmdonna.search (see ../shared/DESIGN.md)."""
