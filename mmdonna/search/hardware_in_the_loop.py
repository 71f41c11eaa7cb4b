"""Re-measure the front's architectures as whole models on the target."""
import math
import os.path as osp
from typing import Callable, Dict, Optional, Sequence

from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.utils import atomic_write_json, load_json_artifact
from mmdonna.utils.io import ArtifactError

FORMAT = formats.HIL_MEASUREMENTS


def code_key(target: str, code: Optional[Sequence[int]]) -> str:
    """Key of one measurement: ``'<target>|teacher'`` or
    ``'<target>|1,0,3'``."""
    if code is None:
        return f'{target}|teacher'
    return f'{target}|' + ','.join(str(int(c)) for c in code)


def remeasure(jobs: Dict[str, Sequence[Optional[Sequence[int]]]],
              build: Callable[[Optional[Sequence[int]]], object],
              estimators: Dict[str, object],
              input_shape: Sequence[int],
              state_file: str,
              digest: str,
              statistic: str = 'median_ms',
              logger: str = 'current') -> Dict[str, dict]:
    """Measure every ``(target, code)`` in ``jobs``, keeping what is done.

    Each finished measurement is saved at once (atomically) in
    ``state_file``, so a killed run re-measures only what is missing. A state
    file from other settings (``digest``) or a corrupt one is reported and
    measured again.

    Args:
        jobs (dict): ``{target: [code or None for the teacher, ...]}``.
        build (Callable): ``code or None -> tensor-in/out nn.Module``.
        estimators (dict): ``{target: estimator}`` with ``measure(module,
            input_shape)``.
        input_shape (Sequence[int]): Network input (N, C, H, W).
        state_file (str): JSON of the measurements so far.
        digest (str): Hash of what the measurements depend on.
        statistic (str): Figure shown in the log: the one ``pareto.json``
            and the report use. Defaults to 'median_ms'.
        logger (str): mmengine logger name. Defaults to 'current'.

    Returns:
        dict: ``{code_key: estimator result dict}`` for every job.
    """
    done = {}
    if osp.exists(state_file):
        try:
            done = load_json_artifact(state_file, FORMAT, digest,
                                      'front measurements')['results']
        except (ArtifactError, KeyError) as e:
            print_log(f'hardware in the loop: {e}; measuring again', logger,
                      30)
            done = {}
    todo = [(t, c) for t, codes in jobs.items() for c in codes
            if code_key(t, c) not in done]
    if len(todo) < sum(len(v) for v in jobs.values()):
        print_log(
            f'hardware in the loop: {len(done)} measurements kept, '
            f'{len(todo)} to go', logger)
    for i, (t, code) in enumerate(todo):
        module = build(code)
        res = dict(estimators[t].measure(module, tuple(input_shape)))
        res = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in res.items()
        }
        done[code_key(t, code)] = res
        atomic_write_json(
            state_file, dict(format=FORMAT, config_hash=digest, results=done))
        what = 'teacher' if code is None else list(code)
        status = (f'{res[statistic]:.3f} ms ({statistic[:-3]})'
                  if res.get('ok') else f'failed: {res.get("error")}')
        print_log(
            f'hardware in the loop [{i + 1}/{len(todo)}] {t} {what}: '
            f'{status}', logger)
    return {
        code_key(t, c): done[code_key(t, c)]
        for t, codes in jobs.items()
        for c in codes
    }
