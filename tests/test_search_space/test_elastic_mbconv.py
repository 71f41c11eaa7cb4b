import pytest
import torch

from mmdonna.search_space import ElasticMBConv, MBConv


@pytest.mark.parametrize('se', [False, True])
def test_exported_sub_block_equals_elastic_forward(se):
    torch.manual_seed(0)
    block = ElasticMBConv(
        8, 16, 2, kernels=[3, 5, 7], expands=[2, 4], depths=[1, 3], se=se)
    x = torch.randn(2, 8, 12, 12)
    block.train()
    for _ in range(3):  # give BN running stats non-trivial values
        block.set_active(5, 2, 3)
        block(x)
    block.eval()
    for choice in block.choices():
        block.set_active(**choice)
        with torch.no_grad():
            y = block(x)
        sub = block.export(**choice).eval()
        assert isinstance(sub, MBConv)
        assert len(sub.layers) == choice['depth']
        with torch.no_grad():
            torch.testing.assert_close(sub(x), y, rtol=1e-4, atol=1e-5)


def test_smaller_choices_share_the_largest_weights():
    block = ElasticMBConv(
        8, 8, 1, kernels=[3, 5], expands=[2, 4], depths=[1, 2])
    n_params = sum(p.numel() for p in block.parameters())
    big = MBConv(8, 8, 1, kernel=5, expand=4, depth=2)
    assert n_params == sum(p.numel() for p in big.parameters())


def test_unknown_choice_and_expand_one_are_refused():
    block = ElasticMBConv(8, 8, 1, kernels=[3], expands=[2], depths=[1])
    with pytest.raises(ValueError, match='kernels=\\[3\\]'):
        block.set_active(5, 2, 1)
    with pytest.raises(ValueError, match='expand > 1'):
        ElasticMBConv(8, 8, 1, expands=[1, 2])
