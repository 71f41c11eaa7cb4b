"""Checks shared by the supernet tests."""
import torch


def assert_bkd_step_trains_every_option(supernet, inputs) -> None:
    """One BKD loss on ``inputs``: a finite loss per block, and a gradient,
    non-zero somewhere, on every parameter of every trainable option."""
    supernet.train()
    supernet.zero_grad()
    losses = supernet.loss(inputs)
    assert set(losses) == {
        f'loss_block{i}'
        for i in range(len(supernet.space.blocks))
    }
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    for b in supernet.space.blocks:
        opts = supernet.block_options(b.path)
        for j in opts.trainable:
            grads = [
                p.grad for m in opts.option_modules(j) for p in m.parameters()
            ]
            assert grads and all(g is not None for g in grads), (b.path, j)
            assert any(float(g.abs().sum()) > 0 for g in grads), (b.path, j)
    supernet.zero_grad()
    supernet.eval()
