"""The BKD stage's hash follows the teacher's weights, not only its path,
and not the path itself (a moved work dir keeps its students)."""
import pytest
from mmengine.config import Config

from mmdonna import formats
from mmdonna.stages import StageError, bkd_hash
from mmdonna.stages.markers import read_marker
from mmdonna.utils import atomic_write_json


def _cfg(ckpt):
    return Config(
        dict(
            model=dict(type='mmdonna.DonnaSupernet', teacher_checkpoint=ckpt),
            train_dataloader=dict(batch_size=2),
            train_cfg=dict(max_epochs=1)))


def test_teacher_retrained_to_same_path_changes_bkd_hash(tmp_path):
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(b'weights of the first teacher')
    first = bkd_hash(_cfg(str(ckpt)), str(ckpt))
    assert bkd_hash(_cfg(str(ckpt)), str(ckpt)) == first  # stable
    marker = str(tmp_path / 'bkd_done.json')
    atomic_write_json(marker,
                      dict(format=formats.STAGE_DONE, config_hash=first))
    assert read_marker(marker, first, 'BKD training')['config_hash'] == first

    ckpt.write_bytes(b'weights of a retrained teacher')  # same path
    second = bkd_hash(_cfg(str(ckpt)), str(ckpt))
    assert second != first
    # the old students are refused with the fix named, not reused
    with pytest.raises(StageError, match='delete'):
        read_marker(marker, second, 'BKD training')


def test_bkd_hash_follows_config_keys_not_the_teacher_path(tmp_path):
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(b'w')
    cfg = _cfg(str(ckpt))
    other = _cfg(str(ckpt))
    other.train_cfg.max_epochs = 2
    assert bkd_hash(cfg, str(ckpt)) != bkd_hash(other, str(ckpt))
    moved = tmp_path / 'moved' / 'teacher.pth'
    moved.parent.mkdir()
    moved.write_bytes(b'w')
    assert bkd_hash(_cfg(str(moved)), str(moved)) == bkd_hash(cfg, str(ckpt))
