"""YOLOP's segmentation head (drivable area or lane lines)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdonna.registry import MODELS

IGNORE_INDEX = 255


@MODELS.register_module()
class YOLOPSegHead(BaseModule):
    """A small conv + upsample decoder from one neck level to a full
    resolution segmentation, as YOLOP's drivable-area and lane-line heads.

    The neck feature at ``in_index`` (stride ``2 ** len(channels)``) passes
    through ``len(channels)`` stages of a 3x3 ``ConvModule`` and a 2x
    nearest upsampling, then a 1x1 conv to ``num_classes`` logits at the
    input resolution.

    The loss is ``loss_seg`` (cross-entropy over the classes, pixels outside
    the image ignored) plus, when given, ``loss_overlap`` on the foreground
    probability (e.g. mmdet's ``DiceLoss`` with ``activate=False``: the
    soft-IoU style term YOLOP adds for lane lines).

    Args:
        task (str): 'da' or 'll': reads ``data_sample.gt_<task>_seg``, writes
            ``pred_<task>_seg`` and names losses ``loss_<task>_seg`` /
            ``loss_<task>_overlap``.
        in_channels (int): Channels of the neck level.
        channels (Sequence[int]): Output channels of each conv + upsample
            stage. Defaults to (64, 32, 16).
        in_index (int): Neck level read. Defaults to 0 (stride 8).
        num_classes (int): Classes including background. Defaults to 2.
        loss_seg (dict): Per-pixel loss on the logits. Defaults to
            ``dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
            loss_weight=0.2)`` (YOLOP's segmentation gain).
        loss_overlap (dict, optional): Loss on the foreground probability
            map (N, H*W) against the binary target. Defaults to None.
        norm_cfg (dict): Norm of the convs. Defaults to
            ``dict(type='BN', momentum=0.03, eps=0.001)``.
        act_cfg (dict): Activation of the convs. Defaults to
            ``dict(type='Swish')``.
        init_cfg (dict, optional): Initialisation. Defaults to None.
    """

    def __init__(self,
                 task: str,
                 in_channels: int,
                 channels: Sequence[int] = (64, 32, 16),
                 in_index: int = 0,
                 num_classes: int = 2,
                 loss_seg: dict = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=0.2),
                 loss_overlap: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: dict = dict(type='Swish'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if task not in ('da', 'll'):
            raise ValueError(f"YOLOPSegHead task={task!r}; use 'da' "
                             f"(drivable area) or 'll' (lane lines)")
        self.task = task
        self.in_index = in_index
        self.num_classes = num_classes
        layers: List[nn.Module] = []
        c = in_channels
        for out in channels:
            layers += [
                ConvModule(
                    c, out, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg),
                nn.Upsample(scale_factor=2, mode='nearest')
            ]
            c = out
        self.decoder = nn.Sequential(*layers)
        self.conv_seg = nn.Conv2d(c, num_classes, 1)
        self.loss_seg = MODELS.build(loss_seg)
        self.loss_overlap = (
            MODELS.build(loss_overlap) if loss_overlap is not None else None)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Logits (N, num_classes, H, W) at stride 1 of the input."""
        return self.conv_seg(self.decoder(feats[self.in_index]))

    def _targets(self, data_samples: list, shape: Tuple[int, int]) -> Tensor:
        """Ground truth of the batch (N, H, W), padded with the ignore
        index where the image was padded to the batch shape."""
        h, w = shape
        field = f'gt_{self.task}_seg'
        target = torch.full((len(data_samples), h, w),
                            IGNORE_INDEX,
                            dtype=torch.long)
        for i, sample in enumerate(data_samples):
            if field not in sample:
                raise KeyError(
                    f'data sample has no {field}: load the masks with '
                    f'LoadYOLOPAnnotations and pack with PackYOLOPInputs')
            gt = sample.get(field).sem_seg[0]
            gh, gw = min(gt.shape[0], h), min(gt.shape[1], w)
            target[i, :gh, :gw] = gt[:gh, :gw]
        return target

    def loss(self, feats: Tuple[Tensor, ...], data_samples: list) -> dict:
        logits = self(feats)
        target = self._targets(data_samples,
                               logits.shape[-2:]).to(logits.device)
        losses = {
            f'loss_{self.task}_seg':
            self.loss_seg(logits, target, ignore_index=IGNORE_INDEX)
        }
        if self.loss_overlap is not None:
            valid = target != IGNORE_INDEX
            prob = logits.softmax(dim=1)[:, -1] * valid
            fg = (target == self.num_classes - 1) & valid
            losses[f'loss_{self.task}_overlap'] = self.loss_overlap(
                prob.flatten(1),
                fg.flatten(1).float())
        return losses

    def predict(self,
                feats: Tuple[Tensor, ...],
                data_samples: list,
                rescale: bool = True) -> List[Tensor]:
        """Label maps (H, W) per image: the image's part of the padded input
        (bottom/right padding), resized to the original image when
        ``rescale``."""
        logits = self(feats)
        out = []
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            ori_h, ori_w = meta['ori_shape'][:2]
            sw, sh = meta.get('scale_factor', (1.0, 1.0))[:2]
            h = min(int(round(ori_h * sh)), logits.shape[-2])
            w = min(int(round(ori_w * sw)), logits.shape[-1])
            x = logits[i:i + 1, :, :h, :w]
            if rescale and (h, w) != (ori_h, ori_w):
                x = F.interpolate(
                    x,
                    size=(ori_h, ori_w),
                    mode='bilinear',
                    align_corners=False)
            out.append(x[0].argmax(dim=0))
        return out
