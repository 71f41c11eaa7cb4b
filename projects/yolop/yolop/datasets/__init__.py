from .bdd100k_dataset import BDD100KDataset
from .road_scenes import generate_road_scenes, render_road_scene
from .transforms import LoadYOLOPAnnotations, PackYOLOPInputs

__all__ = [
    'BDD100KDataset', 'LoadYOLOPAnnotations', 'PackYOLOPInputs',
    'generate_road_scenes', 'render_road_scene'
]
