"""Params and FLOPs of a module, by mmengine's (fvcore-style) analysis, with
fused attention counted."""
from typing import Any, List, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from torch import nn


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """``aten::scaled_dot_product_attention`` (q (..., L, E), k (..., S, E),
    v (..., S, Ev)): the two matmuls ``q @ k^T`` and ``attn @ v``, one flop
    per multiply-add as mmengine counts a matmul. Without it the fused
    attention of a transformer teacher (mmpretrain's ``MultiheadAttention``)
    counts 0 and the teacher looks cheaper than options that spell the
    matmuls out."""
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = 1
    for d in q[:-2]:
        batch *= d
    length, dim, keys = q[-2], q[-1], k[-2]
    return batch * length * keys * (dim + v[-1])


def complexity(module: nn.Module, inputs: Sequence[torch.Tensor]) -> dict:
    """``dict(flops=..., params=...)`` of ``module`` on ``inputs`` (in eval
    mode; the mode is restored)."""
    was = module.training
    module.eval()
    try:
        analyzer = FlopAnalyzer(module, tuple(inputs))
        analyzer.set_op_handle('aten::scaled_dot_product_attention',
                               sdpa_flop_jit)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        flops = analyzer.total()
    finally:
        module.train(was)
    return dict(flops=int(flops), params=int(parameter_count(module)['']))
