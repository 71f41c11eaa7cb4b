"""Train and/or validate a config once; a marker keeps its metric."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmdonna import formats
from mmdonna.utils import atomic_write_json, config_hash
from mmdonna.utils.bn_calibration import recalibrate_model_bn
from mmdonna.utils.io import ArtifactError, load_json_artifact
from .quiet_runner import build_runner


def recalibrated_val(runner: Runner, num_batches: int) -> Optional[dict]:
    """Re-estimate the trained model's BN statistics on ``num_batches``
    training batches (the student of a distillation wrapper; its weights are
    untouched), save them as ``<work_dir>/recalibrated.pth`` and validate.

    A short finetune ends with running statistics that lag behind its last
    weights; what is reported is the model with its own statistics.
    """
    if num_batches:
        model = getattr(runner.model, 'module', runner.model)
        recalibrate_model_bn(model, runner.train_dataloader, num_batches,
                             getattr(model, 'student', model))
        runner.save_checkpoint(
            runner.work_dir,
            'recalibrated.pth',
            save_optimizer=False,
            save_param_scheduler=False)
    return runner.val_loop.run()


def finetuned_checkpoint(work_dir: str) -> Optional[str]:
    """The weights a finetune run reported: ``recalibrated.pth`` (its BN
    statistics re-estimated, see :func:`recalibrated_val`) when present,
    else the run's latest checkpoint."""
    from mmengine.runner import find_latest_checkpoint
    path = osp.join(work_dir, 'recalibrated.pth')
    return path if osp.isfile(path) else find_latest_checkpoint(work_dir)


def val_metrics(runner: Runner, metrics: Optional[dict]) -> dict:
    """What a validation returned, or (mmagic's MultiValLoop returns
    nothing) what it logged."""
    if metrics is not None:
        return metrics
    return {
        k[4:]: v.current()
        for k, v in runner.message_hub.log_scalars.items()
        if k.startswith('val/')
    }


def run_once(cfg: Config,
             marker: str,
             metric: str,
             train: bool,
             bn_batches: int = 0,
             verbose: bool = False,
             digest: Optional[str] = None) -> Optional[float]:
    """Train (resuming) and/or validate ``cfg`` in ``cfg.work_dir`` once;
    the metric is kept in ``marker`` so a rerun skips the work. After
    training, the BN statistics are re-estimated on ``bn_batches`` training
    batches before validation (see :func:`recalibrated_val`).

    ``digest`` is what the marker must record to be reused; defaults to the
    hash of ``cfg`` and ``bn_batches``.

    Returns:
        float | None: The metric; None when the evaluator returned no
        metrics at all (mmdet's CocoMetric without a single detection).

    Raises:
        KeyError: ``metric`` is not among the validation metrics.
    """
    if digest is None:
        digest = config_hash(dict(cfg=cfg.to_dict(), bn_batches=bn_batches))
    if osp.exists(marker):
        try:
            return load_json_artifact(marker, formats.FINETUNE_DONE, digest,
                                      'finetune marker')['metric']
        except ArtifactError as e:
            print_log(f'{e}; running again', 'current')
    runner = build_runner(cfg, cfg.work_dir, cfg.get('experiment_name'),
                          cfg.get('launcher', 'none'), verbose)
    if train:
        runner.train()
        metrics = recalibrated_val(runner, bn_batches)
    else:
        metrics = runner.val()
    metrics = val_metrics(runner, metrics)
    if metrics and metric not in metrics:
        raise KeyError(f'the validation metric {metric!r} (donna.finetune.'
                       f'metric) is not among {sorted(metrics)}')
    # no metrics at all: e.g. mmdet's CocoMetric when no box passed the
    # score threshold
    value = float(metrics[metric]) if metrics else None
    if is_main_process():
        atomic_write_json(
            marker,
            dict(
                format=formats.FINETUNE_DONE, config_hash=digest,
                metric=value))
    return value
