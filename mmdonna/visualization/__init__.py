"""mmdonna.visualization (see ../shared/DESIGN.md)."""
