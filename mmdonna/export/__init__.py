"""mmdonna.export (see ../shared/DESIGN.md)."""
