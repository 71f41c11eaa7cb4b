"""Export a module to ONNX bytes, the way every estimator does it."""
import contextlib
import io
import os
import sys
import tempfile
import warnings
from typing import Iterator, Sequence

import torch
from torch import nn


@contextlib.contextmanager
def _quiet_output() -> Iterator[None]:
    """Silence the exporter, C++ prints included.

    ``torch.onnx.export`` prints the whole TorchScript graph to the process'
    stdout when an operator is not exportable; in a sweep over hundreds of
    candidates that buries the one-line error we log instead.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = []
    with tempfile.TemporaryFile() as sink:
        try:
            for fd in (1, 2):
                saved.append((fd, os.dup(fd)))
                os.dup2(sink.fileno(), fd)
        except OSError:  # no real file descriptors (e.g. embedded)
            pass
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                yield
        finally:
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)


@contextlib.contextmanager
def _mha_fastpath_disabled() -> Iterator[None]:
    """``nn.MultiheadAttention`` takes a fused fast path in eval mode without
    grad (``aten::_native_multi_head_attention``), which has no ONNX symbolic.
    The slow path computes the same function and exports."""
    mha = getattr(torch.backends, 'mha', None)
    if mha is None:  # pragma: no cover - old torch
        yield
        return
    was = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(was)


def export_onnx(module: nn.Module,
                input_shape: Sequence[int],
                opset_version: int = 17,
                seed: int = 0) -> bytes:
    """Export ``module`` in eval mode for one input of ``input_shape``.

    Uses the TorchScript exporter (``dynamo=False``). The module's train/eval
    mode is restored afterwards; its weights are not touched.

    Args:
        module (nn.Module): Tensor-in/tensor(s)-out module; wrap whole mm
            models in :class:`mmdonna.export.TensorForward`.
        input_shape (Sequence[int]): Full input shape, e.g. (1, 3, 224, 224).
        opset_version (int): ONNX opset. Defaults to 17.
        seed (int): Seed of the dummy input. Defaults to 0.

    Returns:
        bytes: The serialised ONNX model, input named ``input``.

    Raises:
        Exception: whatever the exporter raises (callers turn it into a
        failed measurement).
    """
    was_training = module.training
    module.eval()
    gen = torch.Generator().manual_seed(seed)
    dummy = torch.randn(*input_shape, generator=gen)
    buf = io.BytesIO()
    try:
        with torch.no_grad(), _mha_fastpath_disabled(), _quiet_output():
            torch.onnx.export(
                module, (dummy, ),
                buf,
                dynamo=False,
                opset_version=opset_version,
                input_names=['input'],
                do_constant_folding=True)
    finally:
        module.train(was_training)
    return buf.getvalue()
