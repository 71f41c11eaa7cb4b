"""ResBlock's output activation: a ResNet block ends with ReLU, which
cannot mimic a teacher block that ends linearly (MobileNetV2)."""
import torch
from torch import nn

from mmdonna.distill import nsr
from mmdonna.search_space import ResBlock


def _fit_nsr(student, x, target, steps=150):
    """Train ``student`` on BKD's loss (mean per-sample NSR) and return its
    NSR after training."""
    opt = torch.optim.Adam(student.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = nsr(student(x), target).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    student.eval()
    with torch.no_grad():
        return float(nsr(student(x), target).mean())


def test_out_act_none_reaches_a_linear_teacher_output():
    torch.manual_seed(0)
    x = torch.randn(16, 8, 8, 8)
    teacher = nn.Conv2d(8, 16, 3, 2, 1)  # ends linearly: half negative
    with torch.no_grad():
        target = teacher(x)
    relu_out = ResBlock(8, 16, stride=2)
    linear_out = ResBlock(8, 16, stride=2, out_act=None)
    assert (relu_out(x) >= 0).all()
    assert (linear_out(x) < 0).any()
    nsr_relu = _fit_nsr(relu_out, x, target)
    nsr_linear = _fit_nsr(linear_out, x, target)
    # the ReLU output loses the negative half of the target's energy
    assert nsr_relu > 0.35
    assert nsr_linear < 0.5 * nsr_relu


def test_out_act_only_after_the_last_layer():
    block = ResBlock(8, 8, depth=2, out_act=None)
    assert isinstance(block.layers[0].act, nn.ReLU)
    assert isinstance(block.layers[1].act, nn.Identity)
