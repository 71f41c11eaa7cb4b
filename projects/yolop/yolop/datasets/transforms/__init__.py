from .load_yolop_annotations import LoadYOLOPAnnotations
from .pack_yolop_inputs import PackYOLOPInputs

__all__ = ['LoadYOLOPAnnotations', 'PackYOLOPInputs']
