"""DonnaKDModel: finetune a model with its task loss plus distillation."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_checkpoint

from mmdonna.registry import MODELS
from mmdonna.search_space import get_submodule
from mmdonna.utils import latest_checkpoint
from mmdonna.utils.block_capture import BlockCapture


def resolve_checkpoint(path: str, key: str) -> str:
    """A checkpoint file, or a work dir (its latest checkpoint)."""
    found = latest_checkpoint(path)
    if not found:
        raise FileNotFoundError(
            f'{key}={path!r} does not exist; train or export it first, or fix '
            f'the path')
    return found


@MODELS.register_module()
class DonnaKDModel(BaseModel):
    """A student mm model trained with its own loss plus distillation from a
    frozen teacher at named module outputs (logits, features).

    ``loss`` runs ``student.loss`` (task loss; a student's ``loss`` entry is
    renamed ``loss_task``, so that ``loss`` in the log is the total) while
    forward hooks record the student's outputs at the ``distill`` points,
    runs the teacher once without gradients recording the same points, and
    adds each distillation loss (``loss_distill<i>``).
    Prediction and validation use the student alone, so stock metrics work.

    Args:
        student (dict): Config of the model being finetuned.
        teacher (dict): Config of the teacher model.
        teacher_checkpoint (str): Teacher weights (file or work dir).
        distill (list[dict]): ``dict(student='head.fc', teacher='head.fc',
            loss=dict(type='mmdonna.KLDivergence', tau=4.0))`` entries.
        student_checkpoint (str, optional): Initial student weights (e.g. the
            BKD-assembled ``subnets/<name>.pth``), loaded in
            :meth:`init_weights`. Defaults to None.
        data_preprocessor (dict, optional): Merged into the student config
            when it has none. Defaults to None.
        init_cfg (dict, optional): Unused by this wrapper. Defaults to None.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_checkpoint: Optional[str],
                 distill: List[dict],
                 student_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        # ConfigDicts as a Runner would pass: mmdet's two-stage detectors
        # read their train_cfg/test_cfg by attribute (``train_cfg.rpn``)
        student = ConfigDict(copy.deepcopy(student))
        teacher = ConfigDict(copy.deepcopy(teacher))
        if data_preprocessor is not None:
            student.setdefault('data_preprocessor',
                               copy.deepcopy(data_preprocessor))
            teacher.setdefault('data_preprocessor',
                               copy.deepcopy(data_preprocessor))
        student_model = MODELS.build(student)
        super().__init__(
            data_preprocessor=student_model.data_preprocessor,
            init_cfg=init_cfg)
        self.student = student_model
        self.teacher = MODELS.build(teacher)
        if teacher_checkpoint is not None:
            load_checkpoint(
                self.teacher,
                resolve_checkpoint(teacher_checkpoint,
                                   'model.teacher_checkpoint'),
                map_location='cpu',
                logger='silent')
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.student_checkpoint = (
            resolve_checkpoint(student_checkpoint, 'model.student_checkpoint')
            if student_checkpoint is not None else None)
        if not distill:
            raise ValueError('model.distill is empty; list at least one '
                             'dict(student=..., teacher=..., loss=...)')
        self.distill_cfg = copy.deepcopy(distill)
        self.distill_losses = torch.nn.ModuleList()
        s_modules, t_modules = {}, {}
        for i, d in enumerate(self.distill_cfg):
            s_modules[str(i)] = get_submodule(self.student, d['student'],
                                              f'model.distill[{i}].student')
            t_modules[str(i)] = get_submodule(self.teacher, d['teacher'],
                                              f'model.distill[{i}].teacher')
            self.distill_losses.append(MODELS.build(d['loss']))
        self._student_capture = s_modules
        self._teacher_capture = BlockCapture(self.teacher, t_modules)

    def init_weights(self) -> None:
        """Initialise the student (then load ``student_checkpoint``); the
        teacher keeps its weights."""
        if hasattr(self.student, 'init_weights'):
            self.student.init_weights()
        if self.student_checkpoint is not None:
            load_checkpoint(
                self.student,
                self.student_checkpoint,
                map_location='cpu',
                strict=True,
                logger='silent')

    def train(self, mode: bool = True) -> 'DonnaKDModel':
        super().train(mode)
        self.teacher.eval()
        return self

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode=mode)

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        recorded = {}
        handles = [
            m.register_forward_hook(
                lambda mod, args, out, k=k: recorded.__setitem__(k, out))
            for k, m in self._student_capture.items()
        ]
        try:
            losses = self.student(inputs, data_samples, mode='loss')
        finally:
            for h in handles:
                h.remove()
        # mmengine logs the total of every '*loss*' entry as 'loss': a
        # student's own 'loss' (mmpretrain, mmagic) would be logged under
        # that key instead of the total
        losses = {
            ('loss_task' if k == 'loss' else k): v
            for k, v in losses.items()
        }
        with torch.no_grad():
            teacher_out = self._teacher_capture(inputs, data_samples)
        for i, loss_fn in enumerate(self.distill_losses):
            k = str(i)
            losses[f'loss_distill{i}'] = loss_fn(recorded[k],
                                                 teacher_out[k][1])
        return losses
