"""mmdonna.latency (see ../shared/DESIGN.md)."""
