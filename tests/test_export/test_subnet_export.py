"""Exported subnet configs name the files of their work dir relative to
themselves: a copied work dir finetunes from and into itself."""
import os.path as osp
import shutil

from mmengine.config import Config

from mmdonna.export import export_subnet
from mmdonna.export.subnet_export import FILE_DIR
from .fixtures import tiny  # noqa: F401  (fixture)


def test_a_copied_work_dir_uses_its_own_files(tiny, tmp_path):  # noqa: F811
    src = str(tmp_path / 'src')
    py, pth = export_subnet(
        tiny['teacher_cfg'],
        tiny['teacher_checkpoint'],
        src,
        tiny['supernet'], [0, 0],
        'a',
        bn_calib_batches=0)
    text = open(py).read()
    assert src not in text  # no path into the work dir is absolute
    assert f"work_dir = '{FILE_DIR}/../finetune/a'" in text
    copy = str(tmp_path / 'copy')
    shutil.copytree(src, copy)
    shutil.rmtree(src)
    cfg = Config.fromfile(osp.join(copy, 'subnets', 'a.py'))
    assert osp.abspath(cfg.work_dir) == osp.join(copy, 'finetune', 'a')
    assert cfg.model.student_checkpoint == osp.join(copy, 'subnets', 'a.pth')
    assert osp.isfile(cfg.model.student_checkpoint)
    library = osp.abspath(cfg.model.student.backbone.library)
    assert library == osp.join(copy, 'block_library.json')
    # a teacher outside the work dir stays where it is
    assert cfg.model.teacher_checkpoint == tiny['teacher_checkpoint']
