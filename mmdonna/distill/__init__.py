from .nsr_loss import NSRLoss, nsr

__all__ = ['NSRLoss', 'nsr']
