"""YOLOP: one encoder, one neck, three task heads."""
import copy
from typing import Dict, Optional, Tuple

from mmdet.models.detectors.base import BaseDetector
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from torch import Tensor

from mmdonna.registry import MODELS

TASKS = ('det', 'da_seg', 'll_seg')


@MODELS.register_module()
class YOLOP(BaseDetector):
    """YOLOP panoptic driving perception (Wu et al., arXiv 2108.11250) from
    mm parts: an encoder (``backbone``, e.g. mmdet's ``CSPDarknet``), a
    FPN/PAN ``neck`` (e.g. ``YOLOXPAFPN``), an anchor-free detection head
    (``bbox_head``, e.g. ``YOLOXHead`` with its SimOTA assigner, losses and
    NMS) and two :class:`YOLOPSegHead` s (drivable area, lane lines).

    The training loss is YOLOP's weighted sum over the tasks: every loss of
    a task is multiplied by ``task_weights[task]`` (YOLOP's
    ``MULTI_HEAD_LAMBDA``); the per-loss gains live in the heads' loss
    configs.

    ``mode='tensor'`` returns a flat tuple of tensors (no NMS): the
    detection head's class scores, box predictions and objectness per level,
    then the drivable-area and lane-line logits, which is what ONNX export
    and latency measurement see. ``mode='predict'`` fills ``pred_instances``
    (boxes after NMS), ``pred_da_seg`` and ``pred_ll_seg`` (label maps) of
    every data sample, in the original image's coordinates.

    Args:
        backbone (dict): Encoder config.
        neck (dict): Neck config.
        bbox_head (dict): Detection head config.
        da_seg_head (dict): Drivable-area head config.
        ll_seg_head (dict): Lane-line head config.
        task_weights (dict): ``det``, ``da_seg``, ``ll_seg`` weights.
            Defaults to all 1.0 (YOLOP's).
        train_cfg (dict, optional): Detection head training config (e.g. the
            assigner). Defaults to None.
        test_cfg (dict, optional): Detection head test config (score
            threshold, NMS). Defaults to None.
        data_preprocessor (dict, optional): E.g. mmdet's
            ``DetDataPreprocessor``. Defaults to None.
        init_cfg (dict, optional): Initialisation. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 da_seg_head: dict,
                 ll_seg_head: dict,
                 task_weights: Dict[str, float] = dict(
                     det=1.0, da_seg=1.0, ll_seg=1.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        unknown = sorted(set(task_weights) - set(TASKS))
        if unknown:
            raise KeyError(f'model.task_weights has unknown tasks {unknown}; '
                           f'use {TASKS}')
        self.task_weights = {t: float(task_weights.get(t, 1.0)) for t in TASKS}
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        self.neck = MODELS.build(copy.deepcopy(neck))
        bbox_head = copy.deepcopy(bbox_head)
        # mmdet heads read their configs by attribute (cfg.score_thr)
        train_cfg = ConfigDict(copy.deepcopy(train_cfg)) if train_cfg else None
        test_cfg = ConfigDict(copy.deepcopy(test_cfg)) if test_cfg else None
        bbox_head.update(train_cfg=train_cfg, test_cfg=test_cfg)
        self.bbox_head = MODELS.build(bbox_head)
        self.da_seg_head = MODELS.build(copy.deepcopy(da_seg_head))
        self.ll_seg_head = MODELS.build(copy.deepcopy(ll_seg_head))
        for name, head in (('da_seg_head', self.da_seg_head),
                           ('ll_seg_head', self.ll_seg_head)):
            want = name.split('_')[0]
            if getattr(head, 'task', want) != want:
                raise ValueError(
                    f'model.{name}.task={head.task!r}; the {name} must have '
                    f'task={want!r}')
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """Neck outputs (strides 8, 16, 32 for CSPDarknet + YOLOXPAFPN)."""
        return self.neck(self.backbone(batch_inputs))

    def _forward(
            self,
            batch_inputs: Tensor,
            batch_data_samples: Optional[list] = None) -> Tuple[Tensor, ...]:
        feats = self.extract_feat(batch_inputs)
        det = self.bbox_head.forward(feats)
        flat = tuple(t for level_list in det for t in level_list)
        return flat + (self.da_seg_head(feats), self.ll_seg_head(feats))

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: list) -> Dict[str, Tensor]:
        feats = self.extract_feat(batch_inputs)
        losses = {}
        parts = (('det', self.bbox_head.loss(feats, batch_data_samples)),
                 ('da_seg', self.da_seg_head.loss(feats, batch_data_samples)),
                 ('ll_seg', self.ll_seg_head.loss(feats, batch_data_samples)))
        for task, task_losses in parts:
            w = self.task_weights[task]
            for k, v in task_losses.items():
                if isinstance(v, (list, tuple)):
                    v = sum(v)
                losses[k] = v * w
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: list,
                rescale: bool = True) -> list:
        feats = self.extract_feat(batch_inputs)
        det = self.bbox_head.predict(
            feats, batch_data_samples, rescale=rescale)
        da = self.da_seg_head.predict(feats, batch_data_samples, rescale)
        ll = self.ll_seg_head.predict(feats, batch_data_samples, rescale)
        for sample, inst, da_i, ll_i in zip(batch_data_samples, det, da, ll):
            sample.pred_instances = inst
            sample.pred_da_seg = PixelData(sem_seg=da_i[None])
            sample.pred_ll_seg = PixelData(sem_seg=ll_i[None])
        return batch_data_samples
