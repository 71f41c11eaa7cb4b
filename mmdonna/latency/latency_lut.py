"""LatencyLUT: per-option latencies of one target, summed to predict an
architecture, calibrated and validated against whole-model measurements."""
import logging
import os.path as osp
from collections import Counter
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch import nn

from mmdonna import formats
from mmdonna.search_space import (BlockSpec, SearchSpace, build_option,
                                  get_submodule)
from mmdonna.supernet.arch_model import build_arch_model
from mmdonna.supernet.latency_forward import LatencyForward
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.block_capture import with_extra_inputs
from mmdonna.utils.io import ArtifactError
from mmdonna.utils.model_call import latency_scope
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError
from .lut_math import abs_pct_errors, fit_affine, flatten_tables, predict_codes
from .timing import merge_passes, passes_of

LUT_FORMAT = formats.LATENCY_LUT
VALIDATION_FORMAT = formats.LATENCY_VALIDATION
METRICS = ('median_ms', 'min_ms', 'mean_ms')


def _sample_distinct(space: SearchSpace, rng: np.random.Generator, k: int,
                     exclude: Sequence[Sequence[int]]) -> List[List[int]]:
    """Up to ``k`` distinct random codes not in ``exclude``."""
    seen = {tuple(c) for c in exclude}
    codes = []
    for _ in range(100 * k + 100):
        if len(codes) == k:
            break
        code = space.sample(rng)
        if code not in seen:
            seen.add(code)
            codes.append(list(code))
    return codes


def _timed_block(teacher: nn.Module,
                 spec: BlockSpec,
                 index: Optional[int] = None) -> nn.Module:
    """The teacher's block (``index`` None) or a fresh option ``index`` of
    ``spec``, as a one-input module: the block's other inputs are bound
    (:func:`with_extra_inputs`)."""
    block = get_submodule(teacher, spec.path)
    if index is not None:
        block = build_option(
            spec.options[index],
            spec.in_shape,
            spec.out_shape,
            spec.path,
            index,
            check=False,
            teacher_block=block,
            extra=spec.extra_inputs)
    return with_extra_inputs(block, spec.extra_inputs)


class LatencyLUT:
    """Latency of every option of every block on one target.

    Each option is measured alone at the exact input shape it sees inside the
    network (batch 1 + ``BlockSpec.in_shape``; a block called with other
    inputs too gets the probe's ``BlockSpec.extra_inputs``, constants of
    the exported graph); an entry is keyed by
    (target id, backend, input shape, option). An architecture's latency is
    predicted as ``offset + scale * sum_b lut[b][code_b]``:

    * ``calibrate=0``: ``scale=1`` and ``offset`` is the *fixed part*, the
      whole teacher minus the sum of its own blocks measured alone the same
      way. That is everything outside the cut blocks (stem, head; for
      detection neck and head) and it cancels constant per-call overheads:
      ``prediction = teacher + sum_b (lut[b][code_b] - teacher_b)``.
    * ``calibrate=K`` (default): blocks run alone keep their weights and
      activations in cache and pay one session call each, so the sum is
      biased in both offset and scale. ``offset`` and ``scale`` are fitted
      by least squares in relative error on ``K`` random architectures plus
      the teacher, measured whole with the same estimator (these
      architectures are never used by :meth:`validate`). A fit with a
      non-positive scale is rejected (noise, not a correction) and the fixed
      part used instead.

    Failed entries predict ``inf`` (infeasible for the search) and are
    measured again (up to ``tries`` times per :meth:`build`, then again by
    the next one); ``passes > 1`` repeats the sweep and keeps each entry's
    least disturbed pass. A table is complete for ``passes`` when every
    entry has that many successful passes (:meth:`is_complete`).

    ``metric`` picks the statistic of each measurement that is summed:
    'median_ms', 'min_ms' (least disturbed by other processes on a shared
    CPU) or 'mean_ms'. Use :meth:`build` to measure (resumable) and
    :meth:`load` to reuse a finished table.

    Args:
        space (SearchSpace): Search space with block shapes.
        data (dict): Content of ``latency_lut.json``.
    """

    def __init__(self, space: SearchSpace, data: dict):
        self.space = space
        self.data = data
        #: last error of each entry that failed in this process
        self.errors: Dict[tuple, str] = {}
        if data.get('metric') not in METRICS:
            raise LatencyConfigError(
                f'latency.metric={data.get("metric")!r}: use one of '
                f'{METRICS}')
        self._compile()

    # ---- properties --------------------------------------------------------
    @property
    def target_id(self) -> str:
        return self.data['target_id']

    @property
    def backend(self) -> str:
        return self.data['backend']

    @property
    def metric(self) -> str:
        return self.data['metric']

    @property
    def scope(self) -> str:
        """What whole-model entries (teacher, calibration) cover:
        ``'model'`` (the model's raw outputs) or ``'dense'`` (a two-stage
        detector up to its RPN's raw outputs), see
        :class:`mmdonna.supernet.latency_forward.LatencyForward`."""
        return self.data.get('scope', 'model')

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return tuple(self.data['input_shape'])

    @property
    def teacher_ms(self) -> float:
        """The whole teacher measured on this target (``metric``)."""
        return self._value(self.data['teacher'])

    @property
    def complete(self) -> bool:
        """Every entry measured once, successfully."""
        return self.is_complete(1)

    def is_complete(self, passes: int = 1) -> bool:
        """Whether every entry has ``passes`` successful passes (a failed or
        missing entry has none)."""
        return not self.incomplete(passes)

    def incomplete(self, passes: int = 1) -> List[Tuple[tuple, str]]:
        """``(where, why)`` of every entry with fewer than ``passes``
        successful passes; ``why`` is its last error when it failed."""
        out = []
        for where, r in self._entries():
            if passes_of(r) < passes:
                error = self.errors.get(where) or (r or {}).get('error')
                out.append((where, error or f'{passes_of(r)} of {passes} '
                            f'passes'))
        return out

    def describe(self, where: tuple) -> str:
        """An entry in words: ``block 'backbone.layer2' option 3``."""
        if where[0] == 'teacher':
            return 'the whole teacher'
        if where[0] == 'calibration':
            code = self.data['calibration']['codes'][where[2]]
            return f'calibration architecture {code}'
        path = self.data['blocks'][where[1]]['path']
        if where[2] == 'teacher':
            return f'block {path!r} (the teacher\'s own)'
        return f'block {path!r} option {where[3]}'

    def _entries(self) -> Iterator[Tuple[tuple, Optional[dict]]]:
        """``(where, stored result)`` of every entry of the table."""
        for bi, b in enumerate(self.data['blocks']):
            yield ('blocks', bi, 'teacher'), b['teacher']
            for i, r in enumerate(b['options']):
                yield ('blocks', bi, 'options', i), r
        yield ('teacher', ), self.data['teacher']
        for i, r in enumerate(self.data['calibration']['results']):
            yield ('calibration', 'results', i), r

    def entry(self, path: str, index: int) -> dict:
        """The stored measurement of option ``index`` of block ``path``."""
        return self.data['blocks'][self.space.paths.index(
            path)]['options'][index]

    # ---- prediction --------------------------------------------------------
    def _value(self, result: Optional[dict]) -> float:
        if not result or not result.get('ok'):
            return float('inf')
        return float(result[self.metric])

    def _compile(self) -> None:
        """Tables, fixed part and calibration from the stored entries."""
        self._tables = None
        if self._missing():
            return
        blocks = self.data['blocks']
        self._raw = [
            np.array([self._value(r) for r in b['options']]) for b in blocks
        ]
        teacher_blocks = sum(self._value(b['teacher']) for b in blocks)
        teacher = self._value(self.data['teacher'])
        # a failed teacher (block) leaves the fixed part unknown: +inf makes
        # every uncalibrated prediction infeasible instead of -inf "fastest"
        self.fixed_ms = (
            teacher -
            teacher_blocks if np.isfinite(teacher +
                                          teacher_blocks) else float('inf'))
        offset, scale = self.fixed_ms, 1.0
        calib = self.data['calibration']
        points = [(teacher_blocks, teacher)
                  ] + [(self._raw_sum(c), self._value(r))
                       for c, r in zip(calib['codes'], calib['results'])]
        points = [(x, y) for x, y in points if np.isfinite(x + y)]
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        self.calibration = None
        if calib['codes']:
            try:
                fit = fit_affine(xs, ys)
            except ValueError as e:
                fit = None
                reason = str(e)
            else:
                # a latency that falls as the blocks get slower is noise in
                # too few points, not a correction
                reason = (f'fitted scale {fit[1]:.3g} <= 0'
                          if fit[1] <= 0 else None)
            if reason is None:
                offset, scale = fit
                self.calibration = dict(
                    offset=offset, scale=scale, points=len(xs))
            else:
                print_log(
                    f'latency LUT calibration rejected ({reason}); using '
                    f'the fixed part only: raise latency.calibrate or the '
                    f'repeats of the target', 'current', logging.WARNING)
        self.offset, self.scale = float(offset), float(scale)
        self._tables = [self.scale * t for t in self._raw]
        self._flat, self._starts = flatten_tables(self._tables)
        failed = [(b['path'], i) for b in blocks
                  for i, r in enumerate(b['options'])
                  if not (r and r.get('ok'))]
        if failed:
            print_log(
                f'latency LUT: {len(failed)} option(s) failed to measure '
                f'and predict inf latency: {failed}', 'current',
                logging.WARNING)

    def teacher_blocks_ms(self) -> np.ndarray:
        """Latency of the teacher's own blocks (alone), on the scale of
        :meth:`tables` (calibration scale applied); inf where it failed."""
        self._need_tables()
        return self.scale * np.array(
            [self._value(b['teacher']) for b in self.data['blocks']])

    def _raw_sum(self, code: Sequence[int]) -> float:
        return float(sum(t[c] for t, c in zip(self._raw, code)))

    def _need_tables(self) -> None:
        if self._tables is None:
            raise LatencyConfigError(
                f'the latency LUT for {self.target_id!r} is incomplete '
                f'({self._missing()} measurements missing); run '
                f'tools/measure_latency.py CONFIG --lut to finish it')

    def tables(self) -> Tuple[List[np.ndarray], float]:
        """Per-block arrays (calibration scale applied) and the offset:
        ``prediction(code) = offset + sum_j tables[j][code[j]]``."""
        self._need_tables()
        return [t.copy() for t in self._tables], self.offset

    def predict(self, code: Sequence[int]) -> float:
        """Predicted latency (ms) of one architecture."""
        code = self.space.check_code(code)
        return float(self.predict_batch(np.asarray([code]))[0])

    def predict_batch(self, codes: np.ndarray) -> np.ndarray:
        """Predicted latencies (ms) of (N, num_blocks) codes, vectorised."""
        self._need_tables()
        codes = np.asarray(codes, dtype=np.int64)
        n_opt = np.asarray(self.space.num_options)
        if (codes.ndim != 2 or codes.shape[1] != len(n_opt)
                or (codes < 0).any() or (codes >= n_opt).any()):
            raise ValueError(
                f'codes must be an (N, {len(n_opt)}) array of option '
                f'indices below {n_opt.tolist()}; got shape {codes.shape}')
        return predict_codes(self._flat, self._starts, self.offset, codes)

    # ---- persistence -------------------------------------------------------
    def _missing(self) -> int:
        d = self.data
        n = int(d['teacher'] is None)
        for b in d['blocks']:
            n += int(b['teacher'] is None)
            n += sum(r is None for r in b['options'])
        n += sum(r is None for r in d['calibration']['results'])
        return n

    def save(self, path: str) -> None:
        atomic_write_json(path, self.data)

    @staticmethod
    def _check_target(data: dict, path: str, target_id: Optional[str],
                      backend: Optional[str]) -> None:
        for key, want in (('target_id', target_id), ('backend', backend)):
            if want is not None and data.get(key) != want:
                raise ArtifactError(
                    f'latency LUT {path} was built for target '
                    f'{data.get("target_id")!r} (backend '
                    f'{data.get("backend")!r}), not {target_id!r} '
                    f'({backend!r}); use another latency.lut_file or '
                    f'--work-dir, or delete it')

    @classmethod
    def load(cls,
             path: str,
             space: SearchSpace,
             target_id: Optional[str] = None,
             backend: Optional[str] = None,
             metric: Optional[str] = None) -> 'LatencyLUT':
        """Load a LUT and check it belongs to ``space`` (and the target).

        Args:
            path (str): ``latency_lut.json``.
            space (SearchSpace): The search space (with shapes) it must match.
            target_id (str, optional): Required target. Defaults to None (any).
            backend (str, optional): Required backend. Defaults to None (any).
            metric (str, optional): Statistic to sum instead of the stored
                one. Defaults to None.

        Raises:
            ArtifactError: corrupt file, another search space or target.
        """
        data = load_json_artifact(path, LUT_FORMAT, space.fingerprint(),
                                  'latency LUT')
        cls._check_target(data, path, target_id, backend)
        if metric is not None:
            data['metric'] = metric
        return cls(space, data)

    # ---- building ----------------------------------------------------------
    @classmethod
    def build(cls,
              teacher: nn.Module,
              space: SearchSpace,
              estimator: BaseLatencyEstimator,
              input_shape: Sequence[int],
              out_file: Optional[str] = None,
              metric: str = 'median_ms',
              calibrate: int = 8,
              seed: int = 0,
              passes: int = 1,
              tries: int = 1,
              resume: bool = True,
              progress: bool = True) -> 'LatencyLUT':
        """Measure every option of every block, the teacher's blocks, the
        whole teacher and ``calibrate`` whole architectures.

        With ``passes > 1`` the whole sweep is repeated and each entry pools
        its passes (:func:`merge_passes`: every statistic keeps its least
        disturbed pass), so a burst of load from other processes during one
        measurement does not stay in the table.

        With ``out_file`` the table is saved atomically after every
        measurement and, with ``resume``, a partial file of the same space
        and target is continued: measured entries are kept, entries with
        fewer than ``passes`` passes get the missing ones, and failed ones
        are measured again. An entry that fails ``tries`` times in this call
        is left failed (see :meth:`incomplete`).

        Args:
            teacher (nn.Module): The teacher mm model (weights do not matter).
            space (SearchSpace): Search space with block shapes.
            estimator (BaseLatencyEstimator): The target.
            input_shape (Sequence[int]): Network input, (C, H, W) or
                (1, C, H, W).
            out_file (str, optional): ``latency_lut.json``. Defaults to None.
            metric (str): Statistic summed: 'median_ms', 'min_ms' or
                'mean_ms'. Defaults to 'median_ms'.
            calibrate (int): Whole architectures for the calibration fit (0:
                fixed part only). Defaults to 8.
            seed (int): Seed of the calibration architectures. Defaults to 0.
            passes (int): Sweeps over all entries, pooled. Defaults to 1.
            tries (int): Measurements of an entry that keeps failing, in
                this call. Defaults to 1.
            resume (bool): Continue a partial ``out_file``. Defaults to True.
            progress (bool): Show a progress bar. Defaults to True.
        """
        if metric not in METRICS:
            raise LatencyConfigError(
                f'latency.metric={metric!r}: use one of {METRICS}')
        for key, value in (('passes', passes), ('tries', tries)):
            if not isinstance(value, int) or value < 1:
                raise LatencyConfigError(
                    f'latency.{key}={value!r}: use an integer >= 1')
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) == 3:
            input_shape = (1, ) + input_shape
        data = None
        if out_file is not None and resume and osp.exists(out_file):
            data = load_json_artifact(out_file, LUT_FORMAT,
                                      space.fingerprint(), 'latency LUT')
            cls._check_target(data, out_file, estimator.target_id,
                              estimator.backend)
            scope = data.get('scope', 'model')
            if scope != latency_scope(teacher):
                raise ArtifactError(
                    f'latency LUT {out_file} measured whole models up to '
                    f'scope {scope!r}, this teacher is measured up to '
                    f'{latency_scope(teacher)!r}; delete it or use another '
                    f'--work-dir')
            if tuple(data['input_shape']) != input_shape:
                raise ArtifactError(
                    f'latency LUT {out_file} was measured for input '
                    f'{data["input_shape"]}, not {list(input_shape)}; delete '
                    f'it or use another --work-dir')
            data['metric'] = metric
            if len(data['calibration']['codes']) != calibrate:
                codes = data['calibration']['codes'][:calibrate]
                results = data['calibration']['results'][:calibrate]
                more = _sample_distinct(
                    space, np.random.default_rng([seed, 1, len(codes)]),
                    calibrate - len(codes), codes)
                data['calibration'] = dict(
                    seed=seed,
                    codes=codes + more,
                    results=results + [None] * len(more))
        if data is None:
            codes = _sample_distinct(space, np.random.default_rng([seed, 1]),
                                     calibrate, [])
            data = dict(
                format=LUT_FORMAT,
                config_hash=space.fingerprint(),
                target_id=estimator.target_id,
                backend=estimator.backend,
                target=estimator.meta(),
                input_shape=list(input_shape),
                scope=latency_scope(teacher),
                metric=metric,
                blocks=[
                    dict(
                        path=b.path,
                        in_shape=[1] + list(b.in_shape),
                        teacher=None,
                        options=[None] * len(b.options)) for b in space.blocks
                ],
                teacher=None,
                calibration=dict(
                    seed=seed, codes=codes, results=[None] * len(codes)))
        lut = cls(space, data)
        lut._measure_missing(teacher, estimator, out_file, passes, tries,
                             progress)
        lut._compile()
        return lut

    def _pending(self, teacher: nn.Module, passes: int) -> list:
        """(where, module factory, input shape) of every entry with fewer
        than ``passes`` successful passes."""

        def todo(r):
            return passes_of(r) < passes

        tasks = []
        for bi, (spec,
                 b) in enumerate(zip(self.space.blocks, self.data['blocks'])):
            shape = tuple(b['in_shape'])
            if todo(b['teacher']):
                tasks.append((('blocks', bi, 'teacher'),
                              lambda s=spec: _timed_block(teacher, s), shape))
            for i, r in enumerate(b['options']):
                if todo(r):
                    tasks.append(
                        (('blocks', bi, 'options',
                          i), lambda s=spec, i=i: _timed_block(teacher, s, i),
                         shape))
        if todo(self.data['teacher']):
            tasks.append((('teacher', ), lambda: LatencyForward(teacher),
                          self.input_shape))
        calib = self.data['calibration']
        for i, r in enumerate(calib['results']):
            if todo(r):
                tasks.append(
                    (('calibration', 'results', i), lambda c=calib['codes'][i]:
                     LatencyForward(build_arch_model(teacher, self.space, c)),
                     self.input_shape))
        return tasks

    def _merge(self, where: tuple, result: dict) -> None:
        """Pool ``result`` into the entry at ``where`` (a new pass)."""
        node = self.data
        for k in where[:-1]:
            node = node[k]
        node[where[-1]] = merge_passes(node[where[-1]], result)

    def _measure_missing(self, teacher: nn.Module,
                         estimator: BaseLatencyEstimator,
                         out_file: Optional[str], passes: int, tries: int,
                         progress: bool) -> None:
        failures: Counter = Counter()
        for p in range(1, passes + 1):
            while True:  # a failed entry is measured again, ``tries`` times
                tasks = [
                    t for t in self._pending(teacher, p)
                    if failures[t[0]] < tries
                ]
                if not tasks:
                    break
                print_log(
                    f'latency LUT for {estimator.target_id!r}, pass {p}/'
                    f'{passes}: {len(tasks)} measurement(s) to do', 'current')
                bar = ProgressBar(len(tasks)) if progress else None
                for where, make, shape in tasks:
                    result = dict(estimator.measure(make(), shape))
                    result['input_shape'] = list(shape)
                    if where[0] == 'blocks' and where[2] == 'options':
                        spec = self.space.blocks[where[1]]
                        result['option'] = dict(spec.options[where[3]])
                    if not result.get('ok'):
                        failures[where] += 1
                        self.errors[where] = result.get('error')
                    self._merge(where, result)
                    if out_file is not None:
                        self.save(out_file)
                    if bar is not None:
                        bar.update()
                if bar is not None:
                    print()

    # ---- validation --------------------------------------------------------
    def validate(self,
                 teacher: nn.Module,
                 space: SearchSpace,
                 estimator: BaseLatencyEstimator,
                 k: int = 10,
                 seed: int = 1,
                 passes: int = 1,
                 out_file: Optional[str] = None,
                 progress: bool = True) -> dict:
        """Measure ``k`` random whole architectures and compare.

        The architectures are drawn with ``seed`` and never include the
        calibration ones. Like :meth:`build`, ``passes`` sweeps over them are
        pooled. With ``out_file`` the progress is saved after every
        measurement and a rerun continues it.

        Returns:
            dict: ``archs`` (code, predicted_ms, uncalibrated_ms, measured_ms,
            abs_pct_error per architecture), ``mean_abs_pct_error``,
            ``max_abs_pct_error`` (and ``uncalibrated_*`` for the plain
            fixed-part sum), target and metric.
        """
        self._need_tables()
        if space.fingerprint() != self.space.fingerprint():
            raise ArtifactError(
                'LatencyLUT.validate: the search space differs from the one '
                'the LUT was built for; rebuild the LUT')
        if (estimator.target_id, estimator.backend) != (self.target_id,
                                                        self.backend):
            raise LatencyConfigError(
                f'LatencyLUT.validate: the LUT is for {self.target_id!r} '
                f'({self.backend}), the estimator measures '
                f'{estimator.target_id!r} ({estimator.backend}); validate on '
                f'the target the LUT was built for')
        key = dict(
            lut=self.space.fingerprint(),
            calibration=self.data['calibration']['codes'],
            target_id=self.target_id,
            input_shape=list(self.input_shape),
            k=k,
            seed=seed)
        state = None
        if out_file is not None and osp.exists(out_file):
            try:
                state = load_json_artifact(out_file, VALIDATION_FORMAT,
                                           config_hash(key),
                                           'latency validation')
            except ArtifactError as e:
                print_log(f'{e}; validating again', 'current')
        if state is None:
            codes = _sample_distinct(space, np.random.default_rng([seed, 2]),
                                     k, self.data['calibration']['codes'])
            state = dict(
                format=VALIDATION_FORMAT,
                config_hash=config_hash(key),
                codes=codes,
                results=[None] * len(codes))
        for p in range(1, passes + 1):
            todo = [
                i for i, r in enumerate(state['results']) if passes_of(r) < p
            ]
            bar = ProgressBar(len(todo)) if progress and todo else None
            for i in todo:
                model = LatencyForward(
                    build_arch_model(teacher, space, state['codes'][i]))
                state['results'][i] = merge_passes(
                    state['results'][i],
                    estimator.measure(model, self.input_shape))
                if out_file is not None:
                    atomic_write_json(out_file, state)
                if bar is not None:
                    bar.update()
            if bar is not None:
                print()
        return self._report(state, k, seed)

    def _report(self, state: dict, k: int, seed: int) -> dict:
        archs: List[Dict] = []
        for code, r in zip(state['codes'], state['results']):
            pred = self.predict(code)
            raw = self.fixed_ms + self._raw_sum(code)
            row = dict(
                code=list(code),
                predicted_ms=pred,
                uncalibrated_ms=raw,
                measured_ms=self._value(r),
                ok=bool(r and r.get('ok')),
                error=(r or {}).get('error'))
            ok = row['ok'] and np.isfinite(pred)
            row['abs_pct_error'] = (
                float(abs_pct_errors([pred], [row['measured_ms']])[0])
                if ok else None)
            row['uncalibrated_abs_pct_error'] = (
                float(abs_pct_errors([raw], [row['measured_ms']])[0])
                if ok else None)
            archs.append(row)
        good = [a for a in archs if a['abs_pct_error'] is not None]
        err = np.array([a['abs_pct_error'] for a in good])
        raw_err = np.array([a['uncalibrated_abs_pct_error'] for a in good])
        nan = float('nan')
        return dict(
            target_id=self.target_id,
            backend=self.backend,
            metric=self.metric,
            k=k,
            seed=seed,
            measured=len(good),
            failed=len(archs) - len(good),
            calibration=self.calibration,
            scope=self.scope,
            fixed_ms=self.fixed_ms,
            mean_abs_pct_error=float(err.mean()) if len(err) else nan,
            max_abs_pct_error=float(err.max()) if len(err) else nan,
            uncalibrated_mean_abs_pct_error=(float(raw_err.mean())
                                             if len(err) else nan),
            uncalibrated_max_abs_pct_error=(float(raw_err.max())
                                            if len(err) else nan),
            archs=archs)
