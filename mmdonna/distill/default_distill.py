"""Where finetuning distils from the teacher when a config does not say."""
from typing import Dict, List

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


def teacher_names(model: nn.Module) -> Dict[str, str]:
    """Every module name of a student -> the teacher's name of the same
    module: a searched component (an exported ``DonnaBackbone``: ``base``
    and ``arch``) holds the teacher's ``<comp>.<path>`` at
    ``<comp>.base.<path>``."""
    searched = [
        n for n, m in model.named_children()
        if isinstance(getattr(m, 'arch', None), dict)
        and isinstance(getattr(m, 'base', None), nn.Module)
    ]
    out = {}
    for name, _ in model.named_modules():
        comp, _, rest = name.partition('.')
        if comp in searched and (rest + '.').startswith('base.'):
            out[name] = comp + rest[len('base'):]  # neck.base.x -> neck.x
        else:
            out[name] = name
    return out


def default_distill(model: nn.Module) -> List[dict]:
    """Distillation points of the usual mm model kinds, found on the built
    student (the teacher has the same module names outside the searched
    blocks, and ``<comp>.<path>`` for a searched component's
    ``<comp>.base.<path>``, :func:`teacher_names`):

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
    names = teacher_names(model)
    student_of = {}
    for s, t in names.items():  # 'neck' (not 'neck.base') for 'neck'
        student_of.setdefault(t, s)
    if 'generator' in student_of:
        return [
            dict(
                student='generator',
                teacher='generator',
                loss=dict(type='mmagic.L1Loss', loss_weight=1.0))
        ]
    for lists in NECK_LEVELS:
        levels = [n for part in lists for n in _levels(student_of, part)]
        if levels:
            return [
                dict(
                    student=student_of[n],
                    teacher=n,
                    loss=dict(
                        type='mmdonna.NSRLoss', loss_weight=1 / len(levels)))
                for n in levels
            ]
    if 'head' in student_of:
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
