"""OpenMMLab-style projects built on mmdonna (each one a sub-package)."""
