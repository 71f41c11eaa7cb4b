"""The tensor-in/tensor-out module a latency target measures for a whole
model (the teacher, an assembled architecture)."""
import torch
from torch import nn

from mmdonna.utils.model_call import dense_call, latency_scope, tensor_call


class LatencyForward(nn.Module):
    """A whole mm model up to its last exportable tensors.

    Most models run whole (``scope='model'``: ``model(x, samples,
    mode='tensor')``, as :class:`TensorForward`); a two-stage detector's
    tensor mode runs NMS on the RPN's proposals, which ONNX cannot trace, so
    it is measured up to the RPN head's raw outputs (``scope='dense'``; the
    RoI head and post-processing are left out of every whole-model
    measurement alike, so the LUT's fixed part and hardware in the loop
    agree). ``scope`` is recorded with each measurement.

    Args:
        model (nn.Module): The mm model.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.scope = latency_scope(model)
        # keep the model's mode (see TensorForward)
        self.train(model.training)

    def forward(self, x: torch.Tensor):
        if self.scope == 'dense':
            return dense_call(self.model, x)
        return tensor_call(self.model, x)
