"""mmdonna: hardware-aware NAS by blockwise knowledge distillation."""
from .compat import apply_compat_fixes
from .version import __version__

apply_compat_fixes()

__all__ = ['__version__', 'apply_compat_fixes']
