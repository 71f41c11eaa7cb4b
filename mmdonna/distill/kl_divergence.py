"""Logit distillation loss for finetuning."""
import torch
import torch.nn.functional as F
from torch import nn

from mmdonna.registry import MODELS


@MODELS.register_module()
class KLDivergence(nn.Module):
    """Hinton KD: ``tau^2 * KL(softmax(t / tau) || softmax(s / tau))``.

    Args:
        tau (float): Temperature. Defaults to 4.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0):
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        s = F.log_softmax(student.flatten(1) / self.tau, dim=1)
        t = F.softmax(teacher.flatten(1) / self.tau, dim=1)
        kl = F.kl_div(s, t, reduction='batchmean')
        return self.loss_weight * self.tau**2 * kl
