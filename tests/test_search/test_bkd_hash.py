"""The BKD stage's hash follows the teacher's weights, not only its path."""
import pytest
from mmengine.config import Config

from mmdonna.search.pipeline import DONE_FORMAT, PipelineError, _done, bkd_hash
from mmdonna.utils import atomic_write_json


def _cfg(ckpt):
    return Config(
        dict(
            model=dict(type='mmdonna.DonnaSupernet', teacher_checkpoint=ckpt),
            train_dataloader=dict(batch_size=2),
            bkd_train_cfg=dict(max_epochs=1)))


def test_teacher_retrained_to_same_path_changes_bkd_hash(tmp_path):
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(b'weights of the first teacher')
    first = bkd_hash(_cfg(str(ckpt)))
    assert bkd_hash(_cfg(str(ckpt))) == first  # stable
    marker = str(tmp_path / 'bkd_done.json')
    atomic_write_json(marker, dict(format=DONE_FORMAT, config_hash=first))
    assert _done(marker, first, 'BKD training')['config_hash'] == first

    ckpt.write_bytes(b'weights of a retrained teacher')  # same path
    second = bkd_hash(_cfg(str(ckpt)))
    assert second != first
    # the old students are refused with the fix named, not reused
    with pytest.raises(PipelineError, match='delete'):
        _done(marker, second, 'BKD training')


def test_bkd_hash_follows_config_keys(tmp_path):
    ckpt = tmp_path / 'teacher.pth'
    ckpt.write_bytes(b'w')
    cfg = _cfg(str(ckpt))
    other = _cfg(str(ckpt))
    other.bkd_train_cfg.max_epochs = 2
    assert bkd_hash(cfg) != bkd_hash(other)
