from .arch_model import TensorForward, build_arch_model

__all__ = ['TensorForward', 'build_arch_model']
