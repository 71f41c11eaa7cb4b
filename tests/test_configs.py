"""Every config in configs/ parses, and every model in it names registered
types (real-data configs included: their data need not exist to parse)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _generated_base(path: str) -> bool:
    """Finetune configs inherit a subnet that tools/search.py writes into
    work_dirs/: they parse only after that search ran."""
    with open(path) as f:
        return "'../../work_dirs/" in f.read()


CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and not _generated_base(p))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert 'model' in cfg
    if cfg.model.get('type') == 'mmdonna.DonnaSupernet':
        assert cfg.model.blocks, 'a BKD config lists its cut points'
        assert cfg.get('teacher_config'), 'teacher_config names the teacher'
