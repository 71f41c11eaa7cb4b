"""OneShotQuality: the task metric of the assembled BKD subnet, no
finetuning.

An architecture's options, with their BKD weights, put into a copy of the
teacher; its BN statistics re-estimated on training batches; the task metric
measured on held-out batches. About a second per architecture on the digits:
too slow to score millions, so it is used where it pays: as the data DONNA's
linear predictor is fitted on (``predictor.source='one_shot'``: many sampled
architectures instead of 20-30 finetuned ones) and to re-rank a few
candidates.
"""
import copy
import inspect
import logging
import os.path as osp
from typing import Dict, Iterable, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from mmdonna.registry import TASK_UTILS
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.bn_calibration import (DEFAULT_CALIB_BATCHES,
                                          recalibrate_model_bn, seeded_loader,
                                          take)
from mmdonna.utils.io import ArtifactError
from .base_surrogate import BaseSurrogate

SCORES_FORMAT = 'mmdonna.one_shot_scores.v1'


@torch.no_grad()
def evaluate_model(model: torch.nn.Module,
                   loader: Iterable,
                   evaluator: Evaluator,
                   max_batches: Optional[int] = None) -> Dict[str, float]:
    """The evaluator's metrics of ``model`` on (at most ``max_batches``)
    batches of ``loader``, with ``model.val_step`` as the Runner's
    validation loop calls it."""
    was = model.training
    model.eval()
    for metric in evaluator.metrics:
        metric.results.clear()
        if hasattr(metric, 'prepare'):  # mmagic's metrics (MultiValLoop)
            metric.prepare(model, loader)
    n = 0
    try:
        for data in take(loader, max_batches or 1 << 62):
            outputs = model.val_step(data)
            evaluator.process(data_samples=outputs, data_batch=data)
            n += len(outputs)
    finally:
        model.train(was)
    if n == 0:
        raise ValueError('one-shot evaluation got no held-out samples')
    metrics = {}
    for metric in evaluator.metrics:
        if bool(inspect.signature(metric.evaluate).parameters):
            metrics.update(metric.evaluate(n))
        else:  # mmagic's sample-wise metrics: the size from prepare()
            metric.size = n
            metrics.update(metric.evaluate())
    return metrics


class OneShotData:
    """Training batches (BN recalibration), held-out batches and the
    evaluator of one task, built once from the teacher's config.

    Args:
        teacher_cfg (Config): The teacher's training config
            (``train_dataloader``, ``val_dataloader``, ``val_evaluator``).
    """

    def __init__(self, teacher_cfg: Config):
        from mmengine.runner import Runner
        for key in ('train_dataloader', 'val_dataloader', 'val_evaluator'):
            if not teacher_cfg.get(key):
                raise KeyError(f'one-shot quality needs {key} in the teacher '
                               f'config (teacher_config)')
        with DefaultScope.overwrite_default_scope(
                teacher_cfg.get('default_scope')):
            self.train_loader = Runner.build_dataloader(
                seeded_loader(teacher_cfg.train_dataloader.to_dict(),
                              teacher_cfg.get('randomness')))
            self.val_loader = Runner.build_dataloader(
                copy.deepcopy(teacher_cfg.val_dataloader.to_dict()))
            # a dict with `metrics` is an Evaluator config (mmagic's, whose
            # Evaluator needs its MultiValLoop): its metrics are plain
            # mmengine metrics, evaluated here as the stock Evaluator does
            evaluator = copy.deepcopy(teacher_cfg.val_evaluator)
            if hasattr(evaluator, 'to_dict'):
                evaluator = evaluator.to_dict()
            if isinstance(evaluator, dict) and 'metrics' in evaluator:
                evaluator = evaluator['metrics']
            self.evaluator = Evaluator(evaluator)
        dataset = self.val_loader.dataset
        self.evaluator.dataset_meta = getattr(dataset, 'metainfo', None)


@TASK_UTILS.register_module()
class OneShotQuality(BaseSurrogate):
    """The one-shot quality of the assembled BKD subnet (lower is better:
    the negated metric, or the metric when ``higher_is_better=False``).

    Call :meth:`bind` with the trained supernet and the task's data before
    scoring; scores are cached in ``<work_dir>/<scores_file>`` (one atomic
    write per architecture; a rerun continues).

    Args:
        metric (str): Validation metric. Defaults to 'accuracy/top1'.
        higher_is_better (bool): Direction of ``metric``. Defaults to True.
        bn_batches (int): Training batches that re-estimate BN statistics.
            Defaults to 16.
        val_batches (int, optional): Held-out batches per architecture.
            Defaults to None (all).
        scores_file (str): Cache, relative to the work dir.
            Defaults to 'one_shot/scores.json'.
    """

    def __init__(self,
                 metric: str = 'accuracy/top1',
                 higher_is_better: bool = True,
                 bn_batches: int = DEFAULT_CALIB_BATCHES,
                 val_batches: Optional[int] = None,
                 scores_file: str = 'one_shot/scores.json'):
        if bn_batches < 0:
            raise ValueError(f'surrogate.bn_batches={bn_batches} must be '
                             f'>= 0')
        self.metric = metric
        self.metric_name = f'one_shot_{metric.replace("/", "_")}'
        self.higher_is_better = higher_is_better
        self.bn_batches = bn_batches
        self.val_batches = val_batches
        self.scores_file = scores_file
        self._supernet = None
        self._data = None
        self._path = None
        self._state = None

    def bind(self, supernet, data: OneShotData) -> 'OneShotQuality':
        """The trained supernet and the task's data to score with."""
        self._supernet = supernet
        self._data = data
        return self

    def setup(self, library, work_dir: str) -> None:
        self._path = osp.join(work_dir, self.scores_file)
        digest = config_hash(
            dict(
                space=library.space.fingerprint(),
                library=config_hash(library.to_dict()),
                metric=self.metric,
                bn_batches=self.bn_batches,
                val_batches=self.val_batches))
        self._state = dict(format=SCORES_FORMAT, config_hash=digest, scores={})
        if osp.exists(self._path):
            try:
                self._state = load_json_artifact(self._path, SCORES_FORMAT,
                                                 digest, 'one-shot scores')
            except ArtifactError as e:
                print_log(f'{e}; scoring again', 'current')

    def score(self, code: Sequence[int]) -> float:
        """The metric of one architecture (cached)."""
        key = ','.join(str(int(c)) for c in code)
        if self._state is not None and key in self._state['scores']:
            return float(self._state['scores'][key])
        if self._supernet is None:
            raise RuntimeError('OneShotQuality.bind(supernet, data) must be '
                               'called before scoring new architectures')
        value = one_shot_metric(self._supernet, code, self._data, self.metric,
                                self.bn_batches, self.val_batches)
        if self._state is not None:
            self._state['scores'][key] = value
            if self._path:
                atomic_write_json(self._path, self._state)
        return value

    def predict_batch(self, codes: np.ndarray) -> np.ndarray:
        values = np.array([self.score(c) for c in np.atleast_2d(codes)])
        return -values if self.higher_is_better else values


def one_shot_metric(supernet,
                    code: Sequence[int],
                    data: OneShotData,
                    metric: str,
                    bn_batches: int = DEFAULT_CALIB_BATCHES,
                    val_batches: Optional[int] = None) -> float:
    """Assemble ``code`` from the supernet's BKD weights, re-estimate its BN
    statistics, and measure ``metric`` on held-out batches."""
    model = supernet.assemble(code)
    if bn_batches:
        recalibrate_model_bn(model, data.train_loader, bn_batches)
    metrics = evaluate_model(model, data.val_loader, data.evaluator,
                             val_batches)
    if not metrics:
        # e.g. mmdet's CocoMetric when the subnet detects nothing at all
        print_log(f'one-shot: no {metric} (no predictions): scored 0',
                  'current', logging.WARNING)
        return 0.0
    if metric not in metrics:
        raise KeyError(f'one-shot metric={metric!r} is not among the '
                       f'validation metrics {sorted(metrics)}')
    return float(metrics[metric])
