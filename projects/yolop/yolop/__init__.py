"""YOLOP on mmdonna: registers its model, heads, dataset, transforms and
metric into mmdonna's registries. Configs load it with
``custom_imports = dict(imports=['projects.yolop.yolop'])``."""
from .datasets import (BDD100KDataset, LoadYOLOPAnnotations, PackYOLOPInputs,
                       generate_road_scenes, render_road_scene)
from .evaluation import YOLOPMetric
from .models import YOLOP, YOLOPSegHead

__all__ = [
    'BDD100KDataset', 'LoadYOLOPAnnotations', 'PackYOLOPInputs', 'YOLOP',
    'YOLOPMetric', 'YOLOPSegHead', 'generate_road_scenes', 'render_road_scene'
]
