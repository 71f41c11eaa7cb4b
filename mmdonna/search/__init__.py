"""mmdonna.search: NSGA-II over the encoded space, DonnaSearchLoop."""
from .synthetic import synthetic_library

__all__ = ['synthetic_library']
