"""The teacher's own block as an option: exact, frozen, exported as the
teacher block, kept by DonnaBackbone."""
import torch

from mmdonna.distill import nsr
from mmdonna.export import build_arch_model
from mmdonna.search_space import TEACHER_OPTION
from .test_donna_supernet import TEACHERS, build_supernet


def test_teacher_option_reproduces_the_teacher_block_and_stays_frozen():
    cfg_path, paths = TEACHERS['mobilenet_v2']
    model = build_supernet(cfg_path, paths, train_options='all')
    for b in model.space.blocks:
        assert b.options[-1] == TEACHER_OPTION
        assert model.block_options(b.path).trainable == list(
            range(len(b.options) - 1))
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 64)).byte()] * 3)
    inputs = model.data_preprocessor(data, True)['inputs']
    model.train()  # BKD mode: the teacher option must stay in eval mode
    feats = model.teacher_features(inputs)
    for b in model.space.blocks:
        x, y = feats[b.path]
        opts = model.block_options(b.path)
        out = opts(x, len(opts) - 1)
        assert torch.equal(out, y)
        assert float(nsr(out, y)) == 0.0
        assert not any(p.requires_grad for p in opts.choices[-1].parameters())
        exported = opts.export(len(opts) - 1)
        assert type(exported) is type(model.teacher_block(b.path))
        assert all(p.requires_grad for p in exported.parameters())
    # the teacher's code assembles the teacher itself
    code = [len(b.options) - 1 for b in model.space.blocks]
    net = build_arch_model(model.teacher, model.space, code,
                           model.export_option).eval()
    with torch.no_grad():
        torch.testing.assert_close(
            net(inputs, mode='tensor'), model.teacher(inputs, mode='tensor'))


def test_teacher_option_can_be_switched_off():
    cfg_path, paths = TEACHERS['resnet18']
    model = build_supernet(cfg_path, paths[:1], teacher_option=False)
    assert TEACHER_OPTION not in model.space.blocks[0].options
