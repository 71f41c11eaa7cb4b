import pytest
from mmengine.config import Config
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope

from mmdonna import registry


def test_registries_are_scoped_children_of_mmengine():
    names = [
        'RUNNERS', 'LOOPS', 'HOOKS', 'DATASETS', 'TRANSFORMS', 'MODELS',
        'OPTIMIZERS', 'PARAM_SCHEDULERS', 'METRICS', 'TASK_UTILS',
        'VISUALIZERS'
    ]
    for name in names:
        reg = getattr(registry, name)
        assert reg.scope == 'mmdonna', name
        assert reg.parent is not None and reg.parent.scope == 'mmengine'


@pytest.mark.parametrize('registry_, type_name', [
    (registry.MODELS, 'NoSuchSupernet'),
    (MMENGINE_MODELS, 'mmdonna.NoSuchSupernet'),
])
def test_wrong_type_name_is_a_one_line_error_naming_type_and_scope(
        registry_, type_name):
    cfg = Config(dict(model=dict(type=type_name)))
    # another test may have left a default scope (e.g. mmpretrain) behind;
    # the registry would then look the type up there. Pin it to ours.
    with DefaultScope.overwrite_default_scope('mmdonna'), \
            pytest.raises(KeyError) as exc:
        registry_.build(cfg.model)
    msg = str(exc.value)
    assert 'NoSuchSupernet' in msg
    assert 'mmdonna' in msg
    assert '\n' not in msg
