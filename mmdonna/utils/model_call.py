"""Whole-model calls that work for every mm model kind.

``model(inputs, mode='tensor')`` runs a classifier or an editor to its
outputs, but a two-stage or query-based mmdet detector needs data samples
even in tensor mode (its RPN/decoder reads the image shape). The shape probe,
the LUT's fixed part, hardware in the loop and the detector fit check all go
through :func:`tensor_call`, which gives the model the data samples its head
needs, built from the input shape.
"""
import sys
from typing import Any, List, Optional

import torch
from torch import nn


def _is_detector(model: nn.Module) -> bool:
    # a model can only be an mmdet detector if mmdet is imported already:
    # a classification user never imports mmdet for this check
    base = sys.modules.get('mmdet.models.detectors.base')
    return base is not None and isinstance(model, base.BaseDetector)


def dummy_data_samples(model: nn.Module,
                       inputs: torch.Tensor) -> Optional[List[Any]]:
    """The data samples ``model(inputs, samples, mode='tensor')`` needs.

    For an mmdet detector: one ``DetDataSample`` per image whose metainfo
    (``img_shape``, ``ori_shape``, ``pad_shape``, ``batch_input_shape``,
    ``scale_factor``) says the input is the image, unscaled and unpadded.
    Other models (mmpretrain classifiers, mmagic editors) run without.

    Args:
        model (nn.Module): The model (the teacher or an assembled model).
        inputs (torch.Tensor): The preprocessed batch, (N, C, H, W).

    Returns:
        list | None: The data samples, or None when none are needed.
    """
    if not _is_detector(model):
        return None
    from mmdet.structures import DetDataSample
    hw = (int(inputs.shape[-2]), int(inputs.shape[-1]))
    meta = dict(
        img_shape=hw,
        ori_shape=hw,
        pad_shape=hw,
        batch_input_shape=hw,
        scale_factor=(1.0, 1.0))
    return [DetDataSample(metainfo=meta) for _ in range(inputs.shape[0])]


def tensor_call(model: nn.Module,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None):
    """``model(inputs, data_samples, mode='tensor')``, with the data samples
    of :func:`dummy_data_samples` when none are given.

    Args:
        model (nn.Module): An mm model (``BaseModel.forward`` signature).
        inputs (torch.Tensor): The preprocessed batch.
        data_samples (list, optional): The batch's data samples, e.g. from a
            dataloader. Defaults to None (built from the input shape).

    Returns:
        The model's raw outputs (a tensor or a tuple/list/dict of them).
    """
    if data_samples is None:
        data_samples = dummy_data_samples(model, inputs)
    if data_samples is None:
        return model(inputs, mode='tensor')
    return model(inputs, data_samples, mode='tensor')


#: What a latency measurement of a whole model covers (recorded in the LUT):
#: ``'model'``: ``model(x, samples, mode='tensor')``, the model's raw
#: outputs; ``'dense'``: a two-stage detector up to its last exportable
#: tensors, the RPN head's raw outputs (its proposals come from NMS, which
#: the RoI head needs and ONNX cannot trace).
SCOPES = ('model', 'dense')


def latency_scope(model: nn.Module) -> str:
    """The part of ``model`` a latency measurement covers, one of
    :data:`SCOPES`."""
    base = sys.modules.get('mmdet.models.detectors.two_stage')
    if base is not None and isinstance(model, base.TwoStageDetector):
        return 'dense'
    return 'model'


def dense_call(model: nn.Module, inputs: torch.Tensor) -> tuple:
    """A two-stage detector up to the RPN head's raw outputs: the neck's
    features, then the RPN's class scores and box deltas per level."""
    feats = model.extract_feat(inputs)
    scores, deltas = model.rpn_head(feats)
    return tuple(feats) + tuple(scores) + tuple(deltas)
