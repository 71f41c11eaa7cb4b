"""ONNX export of a (finetuned) subnet, checked against PyTorch."""
import copy
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from torch import nn

from mmdonna.supernet.latency_forward import LatencyForward


def build_deploy_model(cfg: Config,
                       checkpoint: Optional[str] = None) -> nn.Module:
    """The plain model of a subnet config (the student of a
    ``DonnaKDModel``), with ``checkpoint`` loaded, in eval mode."""
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = copy.deepcopy(cfg.model)
    if model_cfg.get('type') == 'mmdonna.DonnaKDModel':
        model_cfg = copy.deepcopy(model_cfg['student'])
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor',
                             copy.deepcopy(cfg.data_preprocessor))
    # the library check belongs to export time, not to deployment
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        ckpt = torch.load(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if any(k.startswith('student.') for k in state):
            state = {
                k[len('student.'):]: v
                for k, v in state.items() if k.startswith('student.')
            }
        model.load_state_dict(state, strict=True)
    elif hasattr(model, 'init_weights'):
        model.init_weights()
    return model.eval()


def export_onnx(model: nn.Module,
                input_shape: Sequence[int],
                out_file: str,
                opset: int = 17,
                check: bool = True,
                seed: int = 0) -> float:
    """Export ``LatencyForward(model)`` (the model up to its last
    exportable tensors: a two-stage detector up to its RPN head's raw
    outputs) and return the max |ORT - torch| difference on a random input
    (0 when ``check`` is False)."""
    import onnxruntime as ort
    wrapped = LatencyForward(model).eval()
    x = torch.randn(
        *input_shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        torch.onnx.export(
            wrapped, (x, ),
            out_file,
            input_names=['input'],
            dynamo=False,
            opset_version=opset)
        if not check:
            return 0.0
        ref = wrapped(x)
    refs = ref if isinstance(ref, (tuple, list)) else [ref]
    refs = [r for r in _flatten(refs)]
    sess = ort.InferenceSession(out_file, providers=['CPUExecutionProvider'])
    outs = sess.run(None, {'input': x.numpy()})
    return float(max(np.abs(o - r.numpy()).max() for o, r in zip(outs, refs)))


def _flatten(xs):
    for x in xs:
        if isinstance(x, (tuple, list)):
            yield from _flatten(x)
        else:
            yield x
