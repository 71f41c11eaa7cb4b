"""Capture the inputs and outputs of teacher blocks with forward hooks."""
from typing import Any, Dict, List, NamedTuple, Optional

import torch
from torch import nn

from .model_call import tensor_call


class _StopForward(Exception):
    """Raised after the last cut point so the rest of the teacher is
    skipped."""


class _RanTwice(ValueError):
    """A cut point called a second time in one forward."""


class ExtraInputs(NamedTuple):
    """What a cut point is called with besides its main (first) input:
    the other positional arguments and the keyword arguments (a Swin block's
    ``hw_shape``, a mask tensor, ...). Every option of the block is called
    ``option(x, *args, **kwargs)``, as the teacher calls the block."""
    args: tuple
    kwargs: dict

    @classmethod
    def none(cls) -> 'ExtraInputs':
        return cls((), {})

    @property
    def empty(self) -> bool:
        return not self.args and not self.kwargs

    def call(self, module: nn.Module, x: torch.Tensor):
        """``module(x, *args, **kwargs)``."""
        return module(x, *self.args, **self.kwargs)

    def describe(self) -> dict:
        """A JSON description (tensors by shape and dtype); it keys the
        search space's fingerprint, so a block called with another
        ``hw_shape`` is another block."""
        return dict(
            args=[_describe(a) for a in self.args],
            kwargs={
                k: _describe(v)
                for k, v in self.kwargs.items()
            })

    @classmethod
    def from_description(cls, d: Optional[dict]) -> 'ExtraInputs':
        """The inverse of :meth:`describe` for non-tensor values (tuples
        come back as lists); a tensor stays its description."""
        if not d:
            return cls.none()
        return cls(tuple(d.get('args', ())), dict(d.get('kwargs', {})))


def _describe(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return dict(tensor=list(value.shape), dtype=str(value.dtype))
    if isinstance(value, (tuple, list)):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class BlockIO(tuple):
    """``(block input, block output)`` of one cut point, with the rest of
    its call in :attr:`extra` (:class:`ExtraInputs`) and, for a block that
    returns a tuple ``(main output, *items)`` (a Swin stage's
    ``(x, hw_shape)``) captured with ``split_tuples``, the output is the
    main one and :attr:`extra_outputs` the other items."""

    def __new__(cls,
                x,
                y,
                extra: Optional[ExtraInputs] = None,
                extra_outputs: tuple = ()):
        self = super().__new__(cls, (x, y))
        self.extra = extra if extra is not None else ExtraInputs.none()
        self.extra_outputs = tuple(extra_outputs)
        return self


def split_output(y) -> tuple:
    """``(main, others)``: the first item and the other items of a tuple
    or list output whose first item is a tensor; ``(y, ())`` otherwise."""
    if isinstance(y, (tuple, list)) and len(y) > 1 and \
            isinstance(y[0], torch.Tensor):
        return y[0], tuple(y[1:])
    return y, ()


def main_output(y):
    """The main output of a block (the first item of a tuple
    ``(tensor, *passed-through inputs)``, see :func:`split_output`)."""
    return split_output(y)[0]


class WithExtraInputs(nn.Module):
    """``forward(x) = module(x, *extra.args, **extra.kwargs)``: one option
    or teacher block as a one-input module (ONNX export and timing of a
    single block, FLOPs); non-tensor extras become constants of the
    exported graph.

    Args:
        module (nn.Module): The block.
        extra (ExtraInputs): Its other inputs (batch 1).
    """

    def __init__(self, module: nn.Module, extra: ExtraInputs):
        super().__init__()
        self.module = module
        self.extra = extra
        self.train(module.training)

    def forward(self, x: torch.Tensor):
        # a block returning (y, *passed-through inputs): y (an ONNX graph
        # cannot output python values)
        return main_output(self.extra.call(self.module, x))


def with_extra_inputs(module: nn.Module,
                      extra: Optional[ExtraInputs]) -> nn.Module:
    """``module`` itself when ``extra`` is empty, else
    :class:`WithExtraInputs`."""
    if extra is None or extra.empty:
        return module
    return WithExtraInputs(module, extra)


class BlockCapture:
    """Run a model and return ``{path: BlockIO(input, output)}``.

    The input is the block's first positional argument (its main input,
    whose shape defines the block); every other argument, positional or
    keyword, is kept in ``BlockIO.extra`` and passed to the options.

    The model stops as soon as every module has run (the rest of the
    network, e.g. a detector's RPN and RoI head, is skipped); ``order`` is
    then the execution order of the modules.

    Args:
        model (nn.Module): The teacher.
        modules (dict[str, nn.Module]): Cut-point path -> module.
        split_tuples (bool): Record the first item of a tuple output
            ``(tensor, *items)`` as the output and the items in
            ``BlockIO.extra_outputs`` (:func:`split_output`).
            Defaults to False (the output as returned).
    """

    def __init__(self,
                 model: nn.Module,
                 modules: Dict[str, nn.Module],
                 split_tuples: bool = False):
        self.model = model
        self.modules = modules
        self.split_tuples = split_tuples

    def __call__(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[list] = None,
                 to_end: bool = False) -> Dict[str, BlockIO]:
        """Run the model in tensor mode (with the data samples its head
        needs, see :func:`tensor_call`) until every module has run.

        Args:
            inputs (torch.Tensor): A batch.
            data_samples (list, optional): Its data samples.
                Defaults to None.
            to_end (bool): Run the whole forward, so a cut point that runs
                again after the last one (a head conv shared by the levels
                of an FPN) is refused too; an error of the network after
                every cut point has run is not the cut points' and is
                ignored (the shape probe of a supernet). Defaults to False.
        """
        record: Dict[str, BlockIO] = {}
        self.order: List[str] = []
        #: path -> how many inputs (positional and keyword) the module took
        self.num_inputs: Dict[str, int] = {}
        handles = []

        def make_hook(path):

            def hook(module, args, kwargs, output):
                if path in record:
                    raise _RanTwice(
                        f'cut point {path!r} ran twice in one forward; cut at '
                        f'a module that runs once')
                if args:
                    x, extra = args[0], ExtraInputs(
                        tuple(args[1:]), dict(kwargs))
                else:  # called with keywords only: the first is the input
                    rest = dict(kwargs)
                    first = next(iter(rest), None)
                    x = rest.pop(first) if first is not None else None
                    extra = ExtraInputs((), rest)
                others = ()
                if self.split_tuples:
                    output, others = split_output(output)
                record[path] = BlockIO(x, output, extra, others)
                self.num_inputs[path] = len(args) + len(kwargs)
                self.order.append(path)
                if len(record) == len(self.modules) and not to_end:
                    raise _StopForward

            return hook

        for path, m in self.modules.items():
            handles.append(
                m.register_forward_hook(make_hook(path), with_kwargs=True))
        try:
            tensor_call(self.model, inputs, data_samples)
        except _StopForward:
            pass
        except _RanTwice:
            raise
        except Exception:
            # the rest of the network failed after every cut point ran
            # (e.g. post-processing of a zeros image): not the cut points'
            if not to_end or len(record) < len(self.modules):
                raise
        finally:
            for h in handles:
                h.remove()
        missing = [p for p in self.modules if p not in record]
        if missing:
            raise ValueError(
                f'cut points {missing} did not run in the teacher forward; '
                f'choose modules on the path from input to output')
        return record
