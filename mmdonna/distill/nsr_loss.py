"""Noise-to-signal ratio (NSR), the BKD loss and the block-library score."""
import torch
from torch import nn

from mmdonna.registry import MODELS


def nsr(student: torch.Tensor,
        teacher: torch.Tensor,
        eps: float = 1e-8) -> torch.Tensor:
    """Per-sample NSR = ||T - S||^2 / ||T||^2.

    Args:
        student (Tensor): (N, ...) student output.
        teacher (Tensor): (N, ...) teacher output, same shape.
        eps (float): Guards an all-zero teacher output. Defaults to 1e-8.

    Returns:
        Tensor: (N,) one ratio per sample.
    """
    if student.shape != teacher.shape:
        raise ValueError(f'NSR needs equal shapes, got student '
                         f'{tuple(student.shape)} and teacher '
                         f'{tuple(teacher.shape)}')
    s = student.flatten(1).float()
    t = teacher.flatten(1).float()
    return (t - s).pow(2).sum(1) / t.pow(2).sum(1).clamp_min(eps)


@MODELS.register_module()
class NSRLoss(nn.Module):
    """Mean per-sample NSR, times ``loss_weight``.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * nsr(student, teacher).mean()
