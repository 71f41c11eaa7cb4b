from mmengine.config import Config

from mmdonna.utils.config import validation_config


def test_validation_config_is_a_copy_without_checkpoint_hook():
    cfg = Config(
        dict(
            launcher='pytorch',
            resume=True,
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', save_best='auto'),
                logger=dict(type='LoggerHook'))))
    val = validation_config(cfg, 'w', 'ckpt.pth', 'eval')
    assert val.default_hooks.checkpoint is None
    assert val.default_hooks.logger == dict(type='LoggerHook')
    assert (val.work_dir, val.load_from, val.experiment_name) == \
        ('w', 'ckpt.pth', 'eval')
    assert val.resume is False and val.launcher == 'pytorch'
    assert validation_config(cfg, 'w', None, 'e', 'none').launcher == 'none'
    # the given config is left as it was
    assert cfg.default_hooks.checkpoint.save_best == 'auto'
    assert cfg.resume is True and 'work_dir' not in cfg
