from .default_distill import default_distill
from .kd_model import DonnaKDModel
from .kl_divergence import KLDivergence
from .nsr_loss import NSRLoss, nsr

__all__ = ['DonnaKDModel', 'KLDivergence', 'NSRLoss', 'default_distill', 'nsr']
