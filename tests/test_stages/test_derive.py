"""One `donna` section over an unchanged config -> the BKD, search and
finetune runs; defaults, merging and one-line errors."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

from mmdonna.stages import (DEFAULTS, DonnaConfigError, bkd_config,
                            choose_models, donna_settings, finetune_metric,
                            finetune_overrides, latency_config, teacher_config)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER = osp.join(ROOT, 'configs', 'classification',
                   'mobilenetv2_digits_teacher.py')


def _cfg(**donna):
    cfg = Config.fromfile(TEACHER)
    cfg.donna = dict(
        dict(blocks=['backbone.layer2', 'backbone.layer3'], options='mbconv'),
        **donna)
    return cfg


def test_blocks_take_the_section_options_by_name():
    s = donna_settings(
        _cfg(blocks=[
            'backbone.layer2',
            dict(path='backbone.layer3', options=[dict(type='ResBlock')])
        ]))
    assert [b['path']
            for b in s['blocks']] == ['backbone.layer2', 'backbone.layer3']
    assert s['blocks'][0]['options'] == [
        dict(type='MBConv', kernel=[3, 5, 7], expand=[3, 6], depth=[1, 2])
    ]
    assert s['blocks'][1]['options'] == [dict(type='ResBlock')]
    assert s['component'] == 'backbone'
    # every other key is its default
    assert s['search'] == DEFAULTS['search']
    assert s['filter'] == DEFAULTS['filter']


@pytest.mark.parametrize('donna, words', [
    (dict(bkdd=dict(epochs=1)), ["['bkdd']", 'allowed']),
    (dict(bkd=dict(epoch=1)), ['donna.bkd', "['epoch']"]),
    (dict(options='mbcnv'), ["'mbcnv'", 'mbconv', 'registered']),
    (dict(blocks=[]), ['donna.blocks']),
    (dict(options=None), ['donna.blocks[0]', 'backbone.layer2']),
    (dict(blocks=['backbone.layer2', 'neck']),
     ["donna.blocks[1].path='neck'", 'whole component', 'donna.component']),
    (dict(component=['backbone', 'neck.x']),
     ['donna.component=', "'neck.x'", "['backbone', 'neck']"]),
    (dict(component=[]), ['donna.component=[]', 'top-level module']),
    (dict(bkd=dict(epochs=1, iters=2)), ['epochs and iters']),
    (dict(bkd=dict(bn_calib_batches=-1)), ['bn_calib_batches=-1']),
])
def test_a_wrong_key_is_one_line_naming_it(donna, words):
    with pytest.raises(DonnaConfigError) as e:
        donna_settings(_cfg(**donna))
    msg = str(e.value)
    assert '\n' not in msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize('blocks, component, want', [
    (['backbone.layer2', 'neck.fpn_convs.0'], None, ['backbone', 'neck']),
    (['neck.fpn_convs.0', 'backbone.layer2'], None, ['neck', 'backbone']),
    (['backbone.layer2', 'neck.x'], ['neck', 'backbone'], ['neck', 'backbone'
                                                           ]),
    (['backbone.layer2', 'backbone.layer3'], ['backbone'], 'backbone'),
    (['backbone.layer2'], ['backbone', 'neck', 'backbone'
                           ], ['backbone', 'neck']),
])
def test_cut_points_in_several_components(blocks, component, want):
    # the default is every component holding a cut point, in network
    # order; one component stays a name, as before
    cfg = _cfg(blocks=blocks, component=component)
    s = donna_settings(cfg)
    assert s['component'] == want
    assert bkd_config(cfg).model.component == want


def test_bkd_run_is_derived_and_the_config_left_untouched():
    cfg = _cfg(bkd=dict(epochs=3, lr=0.03, num_sampled=4))
    before = copy.deepcopy(cfg.to_dict())
    bkd = bkd_config(cfg, 'teacher.pth')
    assert cfg.to_dict() == before
    assert bkd.model.type == 'mmdonna.DonnaSupernet'
    assert bkd.model.teacher == cfg.model.to_dict()
    assert bkd.model.teacher_checkpoint == 'teacher.pth'
    assert bkd.model.num_sampled == 4
    assert bkd.model.data_preprocessor == cfg.data_preprocessor.to_dict()
    assert bkd.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=3)
    assert bkd.param_scheduler.T_max == 3 and bkd.param_scheduler.by_epoch
    assert bkd.optim_wrapper.optimizer == dict(
        type='Adam', lr=0.03, weight_decay=0)
    for k in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader',
              'test_cfg', 'test_evaluator'):
        assert bkd[k] is None, k
    (hook, ) = bkd.custom_hooks
    assert hook.dataloader == cfg.val_dataloader.to_dict()
    assert hook.out_file == '../block_library.json'
    assert hook.bn_calib_batches == DEFAULTS['bkd']['bn_calib_batches']
    assert bkd.default_hooks.checkpoint.max_keep_ckpts == 1
    assert bkd.default_hooks.logger == cfg.default_hooks.logger.to_dict()
    assert bkd.model_wrapper_cfg.find_unused_parameters
    assert 'donna' not in bkd


def test_schedule_follows_the_teacher_loop_and_dataloaders_merge():
    cfg = _cfg(
        bkd=dict(
            train_dataloader=dict(batch_size=8),
            library_dataloader=dict(dataset=dict(indices=16))))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=100)
    bkd = bkd_config(cfg)
    assert bkd.train_cfg == dict(type='IterBasedTrainLoop', max_iters=5000)
    assert not bkd.param_scheduler.by_epoch
    assert bkd.default_hooks.checkpoint.interval == 1000
    assert not bkd.log_processor.by_epoch
    assert bkd.train_dataloader.batch_size == 8
    assert bkd.train_dataloader.dataset == cfg.train_dataloader.dataset
    loader = bkd.custom_hooks[0].dataloader
    assert loader.dataset.indices == 16
    assert loader.dataset.split == cfg.val_dataloader.dataset.split


def test_teacher_config_is_the_users_config():
    cfg = _cfg()
    teacher = teacher_config(cfg)
    assert 'donna' not in teacher and 'donna' in cfg
    assert teacher.model == cfg.model


def test_finetune_shorthands_over_the_teachers_recipe():
    cfg = _cfg(finetune=dict(epochs=3, lr=1e-4))
    ft = finetune_overrides(cfg)
    assert ft['train_cfg'] == dict(
        type='EpochBasedTrainLoop', max_epochs=3, val_interval=3)
    assert ft['param_scheduler'] == dict(
        type='CosineAnnealingLR', by_epoch=True, T_max=3)
    # the teacher's optimizer (AdamW, its weight decay) at the new rate
    assert ft['optim_wrapper']['optimizer'] == dict(
        cfg.optim_wrapper.optimizer.to_dict(), lr=1e-4)
    assert ft['distill'] is None
    assert finetune_overrides(_cfg()) == dict(distill=None)
    assert finetune_metric(cfg) == 'accuracy/top1'
    cfg.val_evaluator = dict(type='SomeMetric')
    with pytest.raises(DonnaConfigError, match='donna.finetune.metric'):
        finetune_metric(cfg)


def test_latency_target_without_type_changes_the_default_one():
    cfg = _cfg(latency=dict(targets=[dict(warmup=3, repeats=10)]))
    (target, ) = donna_settings(cfg)['latency']['targets']
    assert target['type'] == 'mmdonna.OnnxRuntimeEstimator'
    assert target['clock'] == 'thread_cpu'
    assert (target['warmup'], target['repeats']) == (3, 10)
    lat = latency_config(cfg)
    assert lat.model.type == 'mmdonna.DonnaSupernet'
    assert lat.model.teacher_checkpoint is None
    assert lat.latency.targets[0].repeats == 10


FRONT = [
    dict(name='a', latency_lut_ms=1.0, latency_measured_ms=1.1, surrogate=3),
    dict(name='b', latency_lut_ms=2.0, latency_measured_ms=2.2, surrogate=2),
    dict(name='c', latency_lut_ms=3.0, latency_measured_ms=None, surrogate=1),
]


@pytest.mark.parametrize('models, names', [
    ('fastest', ['a']),
    ('middle', ['b']),
    ('best', ['c']),
    (['fastest', 'best', 'fastest'], ['a', 'c']),
    (2, ['a', 'c']),
    (3, ['a', 'b', 'c']),
    (dict(latency_ms=2.5), ['b']),
    (dict(latency_ms=0.5), []),
    (None, []),
    (0, []),
])
def test_finetune_models_choose_from_the_front(models, names):
    assert [a['name'] for a in choose_models(FRONT, models)] == names


def test_unknown_finetune_models_is_refused():
    with pytest.raises(DonnaConfigError, match='fastest'):
        choose_models(FRONT, 'quickest')
