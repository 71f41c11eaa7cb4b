"""Where finetuning distils from the teacher when a config does not say."""
from typing import List

from torch import nn

#: The per-level output modules of mmdet's necks, first match wins: an FPN
#: (``fpn_convs``), a ChannelMapper of DETR-like detectors (``convs`` of the
#: input levels, then ``extra_convs``), an SSD neck (``extra_layers``, its
#: first levels are the backbone's own outputs).
NECK_LEVELS = (('fpn_convs', ), ('convs', 'extra_convs'), ('extra_layers', ))


def _levels(names, part: str) -> List[str]:
    """``neck.<part>.<i>`` of ``names``, in the order of ``i``."""
    found = [
        n for n in names if n.startswith(f'neck.{part}.') and n.count('.') == 2
    ]
    return sorted(found, key=lambda n: int(n.rsplit('.', 1)[1]))


def default_distill(model: nn.Module) -> List[dict]:
    """Distillation points of the usual mm model kinds, found on the built
    student (the teacher has the same module names outside the searched
    blocks):

    - an mmagic editor (``generator``): L1 between the output images;
    - an mmdet detector with an FPN (``neck.fpn_convs``), a ChannelMapper
      (``neck.convs`` and ``neck.extra_convs``) or an SSD neck
      (``neck.extra_layers``), :data:`NECK_LEVELS`: the NSR of every level,
      weights summing to 1 (the feature term stays about one detection
      loss);
    - an mmpretrain classifier (``head``, whatever its layers:
      ``LinearClsHead``, ``StackedLinearClsHead``, ...): KL divergence of
      the logits at temperature 4. The head module's output is its logits
      in training (``head.loss`` calls ``head(feats)``) and in the teacher's
      ``mode='tensor'`` alike.

    A named module inside the head (``head.fc``) or any other point is set
    with ``donna.finetune.distill``.

    Raises:
        ValueError: none of these; the message names
            ``donna.finetune.distill``.
    """
    names = dict(model.named_modules())
    if 'generator' in names:
        return [
            dict(
                student='generator',
                teacher='generator',
                loss=dict(type='mmagic.L1Loss', loss_weight=1.0))
        ]
    for lists in NECK_LEVELS:
        levels = [n for part in lists for n in _levels(names, part)]
        if levels:
            return [
                dict(
                    student=n,
                    teacher=n,
                    loss=dict(
                        type='mmdonna.NSRLoss', loss_weight=1 / len(levels)))
                for n in levels
            ]
    if 'head' in names:
        return [
            dict(
                student='head',
                teacher='head',
                loss=dict(
                    type='mmdonna.KLDivergence', tau=4.0, loss_weight=1.0))
        ]
    raise ValueError(
        'no default distillation point for this model (no generator, '
        'neck levels (fpn_convs, convs, extra_layers) or head): set '
        'donna.finetune.distill, e.g. '
        "[dict(student='neck.0', teacher='neck.0', "
        "loss=dict(type='mmdonna.NSRLoss'))]")
