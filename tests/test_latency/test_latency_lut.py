"""LatencyLUT: build, resume after a kill, refuse foreign files, vectorised
prediction, calibration and validation; the LUT stage's completeness
(passes, failed entries)."""
import copy
import json

import numpy as np
import pytest
import torch

from mmdonna.latency import (FlopsEstimator, LatencyConfigError, LatencyLUT,
                             OnnxRuntimeEstimator, fit_affine, predict_codes)
from mmdonna.latency.lut_math import abs_pct_errors, flatten_tables
from mmdonna.search.latency_source import target_latency
from mmdonna.search_space import BlockSpec, SearchSpace, get_submodule
from mmdonna.utils.io import ArtifactError
from ..test_supernet.test_donna_supernet import TEACHERS, build_supernet

INPUT = (1, 3, 32, 32)


@pytest.fixture(scope='module')
def supernet():
    torch.manual_seed(0)
    cfg, paths = TEACHERS['mobilenet_v2']
    return build_supernet(cfg, paths, input_shape=INPUT[1:])


class _Killed(Exception):
    pass


class CountingFlops(FlopsEstimator):
    """The real FLOPs estimator, counting calls and optionally dying (a
    simulated kill) or failing the first call."""

    def __init__(self, die_after=None, fail_first=False):
        super().__init__()
        self.calls = []
        self.die_after = die_after
        self.fail_first = fail_first

    def measure(self, module, input_shape):
        if self.die_after is not None and len(self.calls) == self.die_after:
            raise _Killed
        self.calls.append(tuple(input_shape))
        if self.fail_first and len(self.calls) == 1:
            return self._fail('test', 'simulated failure')
        return super().measure(module, input_shape)

    def __deepcopy__(self, memo):  # the settings are copied: count here
        return self


class FailingFlops(CountingFlops):
    """Fails every measurement of one module (e.g. an option that cannot
    be exported)."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.failures = 0

    def measure(self, module, input_shape):
        if module is self.module:
            self.failures += 1
            return self._fail('test', 'simulated failure')
        return super().measure(module, input_shape)


def _n_measurements(space, calibrate):
    return sum(space.num_options) + space.num_blocks + 1 + calibrate


@pytest.fixture(scope='module')
def flops_lut(supernet, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('lut') / 'latency_lut.json')
    lut = LatencyLUT.build(
        supernet.teacher,
        supernet.space,
        FlopsEstimator(),
        INPUT,
        out,
        calibrate=2,
        progress=False)
    return lut, out


def test_flops_lut_is_exact_and_vectorised(supernet, flops_lut):
    space, teacher = supernet.space, supernet.teacher
    lut, out = flops_lut
    assert lut.complete and lut.target_id == 'flops'
    # every option measured at the exact shape it sees in the network
    data = json.load(open(out))
    for spec, b in zip(space.blocks, data['blocks']):
        assert b['in_shape'] == [1] + list(spec.in_shape)
        for opt, r in zip(spec.options, b['options']):
            assert r['option'] == opt and r['input_shape'] == b['in_shape']
    # FLOPs add up exactly: fixed part + options = the whole network, so the
    # calibration finds scale 1 and validation finds no error
    assert lut.calibration['scale'] == pytest.approx(1.0)
    assert lut.offset == pytest.approx(lut.fixed_ms)
    teacher_flops = [
        FlopsEstimator().measure(
            get_submodule(teacher, b.path), (1, ) + b.in_shape)['median_ms']
        for b in space.blocks
    ]
    np.testing.assert_allclose(lut.teacher_blocks_ms(), teacher_flops)
    report = lut.validate(
        teacher, space, FlopsEstimator(), k=2, seed=5, progress=False)
    assert report['measured'] == 2 and report['max_abs_pct_error'] < 1e-6
    assert report['uncalibrated_max_abs_pct_error'] < 1e-6
    calib = {tuple(c) for c in data['calibration']['codes']}
    assert not calib & {tuple(a['code']) for a in report['archs']}
    # predict_batch == per-architecture sum of tables + offset
    codes = np.array(list(space.enumerate()))
    tables, offset = lut.tables()
    by_hand = [
        offset + sum(t[c] for t, c in zip(tables, code)) for code in codes
    ]
    np.testing.assert_allclose(lut.predict_batch(codes), by_hand)
    np.testing.assert_allclose(
        lut.predict_batch(codes), [lut.predict(c) for c in codes])
    with pytest.raises(ValueError, match='codes must be'):
        lut.predict_batch(codes + 10)


def test_nonsense_calibration_falls_back_to_the_fixed_part(
        supernet, flops_lut):
    lut = flops_lut[0]
    data = copy.deepcopy(lut.data)
    # whole models that get faster as their blocks get slower
    teacher_blocks = sum(b['teacher']['median_ms'] for b in data['blocks'])
    data['teacher']['median_ms'] = 100.0 - teacher_blocks
    for code, r in zip(data['calibration']['codes'],
                       data['calibration']['results']):
        r['median_ms'] = 100.0 - sum(b['options'][c]['median_ms']
                                     for b, c in zip(data['blocks'], code))
    bad = LatencyLUT(supernet.space, data)
    assert bad.calibration is None and bad.scale == 1.0
    assert bad.offset == pytest.approx(100.0 - 2 * teacher_blocks)


def test_build_resumes_after_a_kill(supernet, flops_lut, tmp_path):
    space, teacher = supernet.space, supernet.teacher
    out = str(tmp_path / 'latency_lut.json')
    total = _n_measurements(space, calibrate=1)
    with pytest.raises(_Killed):
        LatencyLUT.build(
            teacher,
            space,
            CountingFlops(die_after=4),
            INPUT,
            out,
            calibrate=1,
            progress=False)
    partial = json.load(open(out))
    done = [
        r for b in partial['blocks'] for r in [b['teacher']] + b['options']
        if r is not None
    ]
    assert len(done) == 4
    with pytest.raises(LatencyConfigError, match='incomplete'):
        LatencyLUT.load(out, space).predict_batch(np.zeros((1, 2), int))
    again = CountingFlops()
    lut = LatencyLUT.build(
        teacher, space, again, INPUT, out, calibrate=1, progress=False)
    assert len(again.calls) == total - 4  # measured entries are kept
    codes = np.array(list(space.enumerate()))
    np.testing.assert_allclose(
        lut.predict_batch(codes), flops_lut[0].predict_batch(codes))
    # a finished LUT measures nothing on a rerun
    idle = CountingFlops()
    LatencyLUT.build(
        teacher, space, idle, INPUT, out, calibrate=1, progress=False)
    assert idle.calls == []


def test_failed_entry_predicts_inf_and_is_retried(supernet, tmp_path):
    space, teacher = supernet.space, supernet.teacher
    out = str(tmp_path / 'latency_lut.json')
    lut = LatencyLUT.build(
        teacher,
        space,
        CountingFlops(fail_first=True),
        INPUT,
        out,
        calibrate=0,
        progress=False)
    # the first measurement is block 0's teacher block: the fixed part is
    # unknown, so every prediction is inf rather than silently wrong
    assert json.load(open(out))['blocks'][0]['teacher']['ok'] is False
    assert np.isposinf(lut.predict_batch(np.zeros((1, 2), int))).all()
    assert np.isposinf(lut.teacher_blocks_ms()[0])
    retry = CountingFlops()
    lut = LatencyLUT.build(
        teacher, space, retry, INPUT, out, calibrate=0, progress=False)
    assert len(retry.calls) == 1
    assert np.isfinite(lut.predict_batch(np.zeros((1, 2), int))).all()


def test_passes_sweep_twice_and_pool(supernet, tmp_path):
    space, teacher = supernet.space, supernet.teacher
    out = str(tmp_path / 'latency_lut.json')
    est = CountingFlops()
    LatencyLUT.build(
        teacher, space, est, INPUT, out, calibrate=0, passes=2, progress=False)
    assert len(est.calls) == 2 * _n_measurements(space, 0)
    data = json.load(open(out))
    for b in data['blocks']:
        for r in b['options']:
            assert r['passes'] == 2 and r['repeats'] == 2
    with pytest.raises(LatencyConfigError, match='passes'):
        LatencyLUT.build(
            teacher, space, est, INPUT, out, passes=0, progress=False)


def test_lut_stage_finishes_the_passes_a_kill_left(supernet, tmp_path):
    """Every entry measured once, the second pass killed: a rerun measures
    the missing passes instead of reporting the LUT as done."""
    space, work_dir = supernet.space, str(tmp_path)
    n = _n_measurements(space, 0)
    settings = dict(calibrate=0, passes=2)
    with pytest.raises(_Killed):
        target_latency(
            dict(settings, targets=[CountingFlops(die_after=n + 3)]), work_dir,
            supernet)
    data = json.load(open(tmp_path / 'latency_lut.json'))
    assert all(r is not None for b in data['blocks'] for r in b['options'])
    again = CountingFlops()
    out = target_latency(dict(settings, targets=[again]), work_dir,
                         supernet)['flops']
    assert not out['reused'] and len(again.calls) == n - 3
    lut = LatencyLUT.load(out['lut_file'], space)
    assert lut.is_complete(2) and not lut.incomplete(2)
    idle = CountingFlops()
    assert target_latency(dict(settings, targets=[idle]), work_dir,
                          supernet)['flops']['reused']
    assert idle.calls == []
    # more passes asked for: only the third pass is measured
    more = CountingFlops()
    out = target_latency(
        dict(settings, passes=3, targets=[more]), work_dir, supernet)
    assert not out['flops']['reused'] and len(more.calls) == n


def test_lut_stage_retries_failed_entries_then_refuses(supernet, tmp_path):
    """A failing entry is measured ``latency.tries`` times, then the stage
    stops in one line naming it; a rerun measures only that entry."""
    space, work_dir = supernet.space, str(tmp_path)
    path = space.paths[0]
    failing = FailingFlops(get_submodule(supernet.teacher, path))
    settings = dict(calibrate=0, passes=1, tries=2)
    with pytest.raises(LatencyConfigError, match='still fail after') as e:
        target_latency(dict(settings, targets=[failing]), work_dir, supernet)
    msg = str(e.value)
    assert '\n' not in msg and 'latency.tries=2' in msg
    assert f"block '{path}' (the teacher's own): simulated failure" in msg
    assert failing.failures == 2
    assert len(failing.calls) == _n_measurements(space, 0) - 1
    lut = LatencyLUT.load(str(tmp_path / 'latency_lut.json'), space)
    assert not lut.is_complete(1) and len(lut.incomplete(1)) == 1
    retry = CountingFlops()
    out = target_latency(dict(settings, targets=[retry]), work_dir, supernet)
    assert not out['flops']['reused'] and len(retry.calls) == 1
    assert np.isfinite(out['flops']['teacher']).all()


def test_refuses_foreign_files(supernet, flops_lut, tmp_path):
    space, teacher = supernet.space, supernet.teacher
    out = flops_lut[1]
    # another target
    with pytest.raises(ArtifactError, match="built for target 'flops'") as e:
        LatencyLUT.load(out, space, target_id='host-ort-cpu-1t')
    assert '\n' not in str(e.value)
    with pytest.raises(ArtifactError, match='built for target'):
        LatencyLUT.build(
            teacher,
            space,
            OnnxRuntimeEstimator(),
            INPUT,
            out,
            calibrate=2,
            progress=False)
    # another search space (other options, same teacher and cut points)
    other = SearchSpace([
        BlockSpec(b.path, [dict(type='ResBlock')], b.in_shape, b.out_shape)
        for b in space.blocks
    ])
    with pytest.raises(ArtifactError, match='another config'):
        LatencyLUT.load(out, other)
    # not a LUT at all
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(format='mmdonna.block_library.v1')))
    with pytest.raises(ArtifactError, match='format'):
        LatencyLUT.load(str(bad), space)
    with pytest.raises(LatencyConfigError, match='metric'):
        LatencyLUT.load(out, space, metric='p99_ms')


def test_validate_needs_the_same_target(supernet, flops_lut):
    with pytest.raises(LatencyConfigError, match='validate on the target'):
        flops_lut[0].validate(
            supernet.teacher, supernet.space, OnnxRuntimeEstimator(), k=1)


def test_onnxruntime_lut_and_resumable_validation(supernet, tmp_path):
    space, teacher = supernet.space, supernet.teacher
    est = OnnxRuntimeEstimator(warmup=1, repeats=3)
    lut = LatencyLUT.build(
        teacher,
        space,
        est,
        INPUT,
        str(tmp_path / 'lut.json'),
        metric='min_ms',
        calibrate=1,
        progress=False)
    tables, offset = lut.tables()
    assert all((t > 0).all() for t in tables) and np.isfinite(offset)
    if lut.calibration is None:
        # two noisy timings of sub-ms models can fit a falling line: the LUT
        # rejects it (tested deterministically elsewhere) and uses the fixed
        # part alone
        assert lut.scale == 1.0 and lut.offset == pytest.approx(lut.fixed_ms)
    else:
        assert lut.calibration['points'] == 2  # teacher + 1 architecture
        assert lut.calibration['scale'] > 0
        assert lut.scale == pytest.approx(lut.calibration['scale'])
    vfile = str(tmp_path / 'validation.json')
    report = lut.validate(
        teacher, space, est, k=1, passes=2, out_file=vfile, progress=False)
    assert report['measured'] == 1
    assert json.load(open(vfile))['results'][0]['passes'] == 2
    for a in report['archs']:
        assert a['measured_ms'] > 0 and a['abs_pct_error'] >= 0

    # rerun: the stored measurements are reused, nothing is measured again
    class NoMeasure(OnnxRuntimeEstimator):

        def measure(self, module, input_shape):
            raise AssertionError('measured again')

    again = lut.validate(
        teacher,
        space,
        NoMeasure(),
        k=1,
        passes=2,
        out_file=vfile,
        progress=False)
    assert again['archs'] == report['archs']


def test_lut_math():
    tables = [np.array([1.0, 2.0]), np.array([10.0, 20.0, 30.0])]
    flat, starts = flatten_tables(tables)
    codes = np.array([[0, 0], [1, 2], [0, 1]])
    np.testing.assert_allclose(
        predict_codes(flat, starts, 0.5, codes), [11.5, 32.5, 21.5])
    raw = np.array([1.0, 2.0, 4.0])
    offset, scale = fit_affine(raw, 0.3 + 1.2 * raw)
    assert offset == pytest.approx(0.3) and scale == pytest.approx(1.2)
    with pytest.raises(ValueError):
        fit_affine([1.0], [2.0])
    np.testing.assert_allclose(abs_pct_errors([11, 9], [10, 10]), [10, 10])
