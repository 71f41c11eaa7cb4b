"""AdbEstimator end to end against a fake adb server on loopback: the real
adbutils client pushes, runs, parses and cleans up."""
import pytest
from torch import nn

from mmdonna.latency import AdbEstimator, LatencyConfigError
from .fake_adb_server import FakeAdbServer, FakeDevice

RUNNER = '/data/local/tmp/onnxruntime_perf_test'


def _module(channels=8):
    return nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())


def _estimator(server, serial='emu-1', **kwargs):
    kwargs.setdefault('retry_wait_s', 0.01)
    kwargs.setdefault('timeout_s', 10.0)
    return AdbEstimator(serial, host=server.host, port=server.port, **kwargs)


@pytest.mark.parametrize('version', [41, 40])
def test_push_run_parse_cleanup(version):
    dev = FakeDevice('emu-1')
    other = FakeDevice('emu-2')
    with FakeAdbServer([dev, other], version=version) as server:
        est = _estimator(server, repeats=20, threads=2, rounds=2)
        assert est.target_id == 'adb-emu-1' and est.backend == 'adb'
        small = est.measure(_module(4), (1, 3, 8, 8))
        big = est.measure(_module(16), (1, 3, 8, 8))
    assert small['ok'] and big['ok'], (small, big)
    # the number is the one the device printed for the pushed model's size
    (path1, size1), (path2, size2) = dev.pushed
    assert small['median_ms'] == pytest.approx(dev.latency_ms(size1))
    assert big['median_ms'] == pytest.approx(dev.latency_ms(size2))
    assert size2 > size1 and big['median_ms'] > small['median_ms']
    assert small['repeats'] == 40 and small['std_ms'] == 0.0
    # runner invoked with the configured settings, on the pushed file
    assert len(dev.runs) == 4  # 2 rounds per measurement
    argv = dev.runs[0]['argv']
    assert argv[0] == RUNNER and argv[-1] == path1
    assert argv[argv.index('-r') + 1] == '20'
    assert argv[argv.index('-x') + 1] == '2'
    assert argv[argv.index('-e') + 1] == 'cpu'
    # pushed files are removed; only the runner is left on the device
    assert dev.removed == [path1, path2]
    assert set(dev.files) == {RUNNER}
    assert path1.startswith('/data/local/tmp/mmdonna/')
    assert not other.log  # the other device was never touched
    transport = ('host:tport:serial:emu-1'
                 if version >= 41 else 'host:transport:emu-1')
    assert transport in server.requests
    assert any(r.startswith('shell,v2:') for r in server.requests)


def test_device_disappears_retry_then_fail_and_sweep_carries_on():
    dev = FakeDevice('emu-1', disconnect_after=5)
    with FakeAdbServer([dev]) as server:
        est = _estimator(server, retries=2)
        sweep = [est.measure(_module(c), (1, 3, 8, 8)) for c in (4, 6, 8)]
        attempts = sum(r.startswith('host:tport') for r in server.requests)
    # connect (stat + mkdir) and a first measurement fit in 5 services
    assert sweep[0]['ok']
    for r in sweep[1:]:
        assert r['ok'] is False and r['repeats'] == 0
        assert "device 'emu-1'" in r['error'] and '3 times' in r['error']
    assert ('vanished', 6) in dev.log
    assert dev.refused >= 6  # every later measurement retried
    assert attempts > 6


def test_device_comes_back_within_the_retries():
    dev = FakeDevice('emu-1', disconnect_after=4, reconnect_after=1)
    with FakeAdbServer([dev]) as server:
        est = _estimator(server, retries=3)
        r = est.measure(_module(), (1, 3, 8, 8))
    assert r['ok'], r
    assert ('vanished', 5) in dev.log and ('reconnected', 1) in dev.log
    assert r['median_ms'] == pytest.approx(dev.latency_ms(dev.pushed[-1][1]))
    assert set(dev.files) == {RUNNER}  # cleaned up after the retry


def test_serial_not_connected_lists_the_connected_ones():
    with FakeAdbServer([FakeDevice('emu-1'), FakeDevice('emu-2')]) as server:
        est = _estimator(server, serial='R58M-missing')
        with pytest.raises(LatencyConfigError) as e:
            est.measure(_module(), (1, 3, 8, 8))
    msg = str(e.value)
    assert "serial='R58M-missing'" in msg and "'emu-1', 'emu-2'" in msg
    assert '\n' not in msg


def test_runner_missing_on_device_names_the_key():
    dev = FakeDevice('emu-1', runner=None)
    with FakeAdbServer([dev]) as server:
        est = _estimator(server, runner='/data/local/tmp/perf_test')
        with pytest.raises(LatencyConfigError) as e:
            est.measure(_module(), (1, 3, 8, 8))
    msg = str(e.value)
    assert "runner='/data/local/tmp/perf_test'" in msg and 'emu-1' in msg
    assert '\n' not in msg and not dev.pushed


def test_no_adb_server_is_a_setting_error():
    server = FakeAdbServer([])
    port = server.port
    server.stop()  # nothing listens there any more
    est = AdbEstimator('emu-1', port=port)
    with pytest.raises(LatencyConfigError, match='no adb server'):
        est.measure(_module(), (1, 3, 8, 8))


def test_runner_output_without_latency_fails_without_retry():
    dev = FakeDevice('emu-1')
    with FakeAdbServer([dev]) as server:
        est = _estimator(
            server, pattern=r'P99 latency:\s*([0-9.]+)', retries=3)
        r = est.measure(_module(), (1, 3, 8, 8))
        # a command that fails on the device (bad runner flag)
        est2 = _estimator(server, command='{runner} --bogus {model}')
        dev.files[RUNNER]['mode'] = 0o644  # not executable any more
        r2 = est2.measure(_module(), (1, 3, 8, 8))
    assert r['ok'] is False and 'found no latency' in r['error']
    assert len(dev.runs) == 1  # deterministic failure: not retried
    assert r2['ok'] is False and 'exited with code 127' in r2['error']
    assert set(dev.files) == {RUNNER}


@pytest.mark.parametrize('kwargs,key', [
    (dict(command='{runner} -r 10'), 'command'),
    (dict(command='{runner} {modle}'), 'command'),
    (dict(pattern='([0-9'), 'pattern'),
    (dict(unit='min'), 'unit'),
    (dict(retries=-1), 'retries'),
])
def test_bad_settings(kwargs, key):
    with pytest.raises(LatencyConfigError, match=key):
        AdbEstimator('emu-1', **kwargs)
