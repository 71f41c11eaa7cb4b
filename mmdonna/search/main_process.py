"""Run a step on rank 0 only and hand its result to every rank."""
from typing import Any, Callable

from mmengine.dist import broadcast_object_list, is_main_process


class MainProcessError(RuntimeError):
    """The step failed on rank 0 (raised on the other ranks)."""


def run_on_main_process(fn: Callable[[], Any], what: str = 'step') -> Any:
    """``fn()`` on rank 0; its (picklable) result is broadcast to the other
    ranks, which wait. Outside a distributed run this is just ``fn()``.

    If ``fn`` raises on rank 0, rank 0 re-raises the original exception
    and every other rank raises :class:`MainProcessError` with its one-line
    message, so no rank hangs.
    """
    result, error = None, None
    if is_main_process():
        try:
            result = fn()
        except Exception as e:
            broadcast_object_list([None, f'{type(e).__name__}: {e}'])
            raise
    box = [result, error]
    broadcast_object_list(box)
    result, error = box
    if error is not None:
        raise MainProcessError(f'the {what} failed on rank 0: {error}')
    return result
