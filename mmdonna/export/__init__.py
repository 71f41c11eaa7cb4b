from mmdonna.supernet.arch_model import TensorForward, build_arch_model
from .donna_backbone import DonnaBackbone, DonnaModel
from .subnet_export import (assemble_weights, export_front, export_subnet,
                            student_config)
from .subnet_manifest import export_settings, read_manifest, subnet_is_current

__all__ = [
    'DonnaBackbone', 'DonnaModel', 'TensorForward', 'assemble_weights',
    'build_arch_model', 'export_front', 'export_settings', 'export_subnet',
    'read_manifest', 'student_config', 'subnet_is_current'
]
