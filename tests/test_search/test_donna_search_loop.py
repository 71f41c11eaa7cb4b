"""DonnaSearchLoop under a real MMEngine Runner, on a tiny library with two
real latency targets (ONNX Runtime on the host and FLOPs)."""
import copy
import json
import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from mmengine.testing import RunnerTestCase

from mmdonna.library import score_block_library
from mmdonna.registry import MODELS
from mmdonna.search import SearchError

OPTIONS = [dict(type='MBConv', kernel=[3, 5], expand=3), dict(type='ResBlock')]


def tiny_search_cfg(work_dir: str, base: Config, shared: str) -> Config:
    """The search config; the block library and the LUTs live in ``shared``
    (absolute paths), so that the tests of this class build them once."""
    init_default_scope('mmpretrain')
    teacher = get_config('mmpretrain::_base_/models/mobilenet_v2_1x.py').model
    teacher.backbone.widen_factor = 0.25
    teacher.head.num_classes = 10
    teacher.head.in_channels = 1280
    cfg = copy.deepcopy(base)
    cfg.work_dir = work_dir
    cfg.default_scope = 'mmpretrain'
    cfg.model = dict(
        type='mmdonna.DonnaSupernet',
        teacher=teacher,
        data_preprocessor=dict(num_classes=10, mean=[0] * 3, std=[1] * 3),
        input_shape=(3, 32, 32),
        blocks=[
            dict(path='backbone.layer2', options=OPTIONS),
            dict(path='backbone.layer3', options=OPTIONS),
        ])
    cfg.train_cfg = dict(
        type='mmdonna.DonnaSearchLoop',
        pop_size=6,
        n_gen=4,
        num_random_samples=50,
        library_file=osp.join(shared, 'block_library.json'))
    cfg.latency = dict(
        targets=[
            dict(type='mmdonna.OnnxRuntimeEstimator', warmup=1, repeats=3),
            dict(type='mmdonna.FlopsEstimator')
        ],
        lut_file=osp.join(shared, 'lut_{target_id}.json'),
        metric='min_ms',
        calibrate=0,
        passes=1)  # one LUT sweep: repeated passes are tested in latency
    cfg.kd_filter = dict(type='mmdonna.KDFilter', min_keep=2)
    cfg.surrogate = dict(type='mmdonna.BlockLossSum')
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.env_cfg = dict(dist_cfg=dict(backend='gloo'))
    return cfg


def score_library(cfg: Config, out_file: str) -> None:
    torch.manual_seed(0)
    supernet = MODELS.build(copy.deepcopy(cfg.model))
    g = torch.Generator().manual_seed(0)
    batches = [
        dict(inputs=[
            torch.randint(0, 255, (3, 32, 32), generator=g).byte()
            for _ in range(4)
        ]) for _ in range(2)
    ]
    score_block_library(supernet, batches, out_file)


class TestDonnaSearchLoop(RunnerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.shared.cleanup()

    def setUp(self):
        super().setUp()
        shared = self.shared.name
        self.cfg = tiny_search_cfg(self.temp_dir.name, self.epoch_based_cfg,
                                   shared)
        if not osp.exists(osp.join(shared, 'block_library.json')):
            score_library(self.cfg, osp.join(shared, 'block_library.json'))

    def test_search_fronts_measured_and_rerun_skips(self):
        runner = self.build_runner(copy.deepcopy(self.cfg))
        result = runner.train()
        work = self.temp_dir.name
        pareto = json.load(open(osp.join(work, 'pareto.json')))
        assert result['config_hash'] == pareto['config_hash']
        assert set(pareto['targets']) == {'host-ort-cpu-1t', 'flops'}
        filtered = json.load(open(osp.join(work, 'filtered_space.json')))
        space = runner.model.space
        for t, entry in pareto['targets'].items():
            front = entry['front']
            assert front, t
            lut = [a['latency_lut_ms'] for a in front]
            assert lut == sorted(lut)
            for a in front:
                # full-space codes, inside the target's filtered space
                assert space.decode(a['code']) == a['arch']
                for b, p in enumerate(space.paths):
                    assert a['code'][b] in filtered['targets'][t][p]['kept']
                # hardware in the loop: the whole model was measured
                assert a['latency_measured_ms'] > 0
                assert a['params'] > 0 and a['flops'] > 0
            assert entry['teacher']['latency_measured_ms'] > 0
            # FLOPs "latency" is exact: the block sum equals the whole model
            if t == 'flops':
                np.testing.assert_allclose(
                    lut, [a['latency_measured_ms'] for a in front], rtol=1e-6)
        for f in ('pareto.png', 'block_library.png', 'report.md',
                  'search_state.json', 'hil_measurements.json'):
            assert osp.getsize(osp.join(work, f)) > 0, f
        report = open(osp.join(work, 'report.md')).read()
        assert 'KD filter' in report and 'LUT vs measured' in report
        assert pareto['targets']['flops']['front'][0]['name'] in report

        mtime = osp.getmtime(osp.join(work, 'pareto.json'))
        again = self.build_runner(copy.deepcopy(self.cfg))
        again.train()
        status = {s: st for s, st, _ in again.train_loop.stage_log}
        assert status['latency LUT'] == 'skipped'
        assert status['filter'] == 'skipped'
        assert status['search'] == 'skipped'
        assert osp.getmtime(osp.join(work, 'pareto.json')) == mtime

    def test_impossible_budget_is_refused_without_a_pareto_file(self):
        cfg = copy.deepcopy(self.cfg)
        cfg.train_cfg.constraints = dict(latency_ms={'flops': 1e-6})
        runner = self.build_runner(cfg)
        with self.assertRaisesRegex(SearchError,
                                    'constraints.latency_ms') as e:
            runner.train()
        assert '\n' not in str(e.exception) and 'flops' in str(e.exception)
        assert not osp.exists(osp.join(self.temp_dir.name, 'pareto.json'))

    def test_exact_front_covers_the_nsga2_front(self):
        work = self.temp_dir.name
        fronts = {}
        for algorithm in ('nsga2', 'exact'):
            cfg = copy.deepcopy(self.cfg)
            cfg.work_dir = osp.join(work, algorithm)
            cfg.train_cfg.algorithm = algorithm
            cfg.train_cfg.hardware_in_the_loop = False
            runner = self.build_runner(cfg)
            runner.train()
            pareto = json.load(open(osp.join(cfg.work_dir, 'pareto.json')))
            assert pareto['search']['algorithm'] == algorithm
            report = open(osp.join(cfg.work_dir, 'report.md')).read()
            name = dict(nsga2='NSGA-II', exact='exact front')[algorithm]
            assert f'Search: {name}' in report
            fronts[algorithm] = pareto['targets']
        state = json.load(open(osp.join(work, 'exact', 'search_state.json')))
        assert state['settings']['algorithm'] == 'exact'
        assert 'add up over blocks' in pareto['search']['reason']
        space = runner.model.space
        for t, entry in fronts['exact'].items():
            assert entry['generations'] is None and entry['front']
            exact = np.array([[a['surrogate'], a['latency_lut_ms']]
                              for a in entry['front']])
            codes = {tuple(a['code']) for a in entry['front']}
            for a in entry['front']:
                assert space.decode(a['code']) == a['arch']
                assert a['latency_measured_ms'] is None
            for a in fronts['nsga2'][t]['front']:
                f = np.array([a['surrogate'], a['latency_lut_ms']])
                dominated = (exact <= f + 1e-12).all(1).any()
                assert tuple(a['code']) in codes or dominated, a['code']

    def test_unknown_algorithm_is_refused(self):
        cfg = copy.deepcopy(self.cfg)
        cfg.train_cfg.algorithm = 'random'
        runner = self.build_runner(cfg)
        with self.assertRaisesRegex(ValueError, 'train_cfg.algorithm'):
            runner.train()
