"""Config loading that also accepts ``package::path`` (configs shipped by
mmpretrain / mmdet / mmagic)."""
from mmengine.config import Config


def load_config(path: str) -> Config:
    """``Config.fromfile`` for files, ``mmengine.hub.get_config`` for
    ``'mmpretrain::mobilenet_v2/...py'``-style paths."""
    if '::' in path:
        from mmengine.hub import get_config
        return get_config(path)
    return Config.fromfile(path)
