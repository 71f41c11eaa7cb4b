"""latest_checkpoint: a checkpoint given as a file or as a work dir."""
import os.path as osp

from mmdonna.utils import latest_checkpoint


def test_file_work_dir_and_missing(tmp_path):
    ckpt = tmp_path / 'epoch_2.pth'
    ckpt.write_bytes(b'x')
    assert latest_checkpoint(str(ckpt)) == str(ckpt)
    # a work dir without MMEngine's marker has no latest checkpoint
    assert latest_checkpoint(str(tmp_path)) is None
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    assert latest_checkpoint(str(tmp_path)) == str(ckpt)
    # the marker names a deleted checkpoint
    (tmp_path / 'last_checkpoint').write_text(osp.join(tmp_path, 'gone.pth'))
    assert latest_checkpoint(str(tmp_path)) is None
    assert latest_checkpoint(str(tmp_path / 'nothing.pth')) is None
    assert latest_checkpoint(None) is None
