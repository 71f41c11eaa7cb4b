"""Latency on an Android device over ADB (adbutils)."""
import hashlib
import posixpath
import re
import shlex
import socket
import time
from typing import Optional, Sequence

from mmengine.logging import print_log
from torch import nn

from mmdonna.registry import TASK_UTILS
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError
from .onnx_export import export_onnx
from .timing import (describe_exception, one_line, parse_latency_ms,
                     summarize_timings)

#: onnxruntime's ``onnxruntime_perf_test`` (built for Android): ``-I`` makes
#: the input, ``-m times -r N`` runs N times, ``-x``/``-y`` set the threads,
#: ``-e`` the execution provider (cpu, nnapi, xnnpack, qnn, ...).
DEFAULT_COMMAND = ('{runner} -I -m times -r {repeats} -x {threads} -y 1 '
                   '-e {provider} {model}')
#: ``onnxruntime_perf_test`` prints "Average inference time cost: 2.65 ms".
DEFAULT_PATTERN = r'Average inference time cost:\s*([0-9.eE+-]+)\s*ms'
_PLACEHOLDERS = dict(
    runner='r', model='m', repeats=1, threads=1, provider='p', remote_dir='d')


class _RunnerError(Exception):
    """The runner ran but gave no timing (deterministic: not retried)."""


@TASK_UTILS.register_module()
class AdbEstimator(BaseLatencyEstimator):
    """Push the ONNX model to an Android device and time it there.

    For every measurement the module is exported to ONNX, pushed to
    ``remote_dir`` with adbutils' sync protocol, timed by the on-device
    ``runner`` through ``adb shell`` (``command`` is the command line, run
    ``rounds`` times), the latency is parsed from its output with ``pattern``
    and the pushed file is removed. A device that drops off mid-run is retried
    ``retries`` times, ``retry_wait_s`` apart; then the measurement is failed
    (``ok=False``) and logged, so a sweep carries on.

    Setting errors raise :class:`LatencyConfigError` on first use: no adb
    server at ``host:port``, ``serial`` not connected (the message lists the
    connected serials), ``runner`` missing on the device.

    ``mean_ms``/``median_ms``/``min_ms``/``std_ms`` are statistics over the
    ``rounds`` latencies the runner printed (each already an average over
    ``repeats`` runs); ``repeats`` in the result is ``rounds * repeats``.

    Args:
        serial (str): Device serial (``adb devices``).
        runner (str): Path of the benchmark runner on the device. Defaults
            to '/data/local/tmp/onnxruntime_perf_test'.
        command (str): Command line template; placeholders ``{runner}``,
            ``{model}`` (required), ``{repeats}``, ``{threads}``,
            ``{provider}``, ``{remote_dir}`` (paths are shell-quoted).
            Defaults to :data:`DEFAULT_COMMAND`.
        pattern (str): Regular expression whose first group is the latency.
            Defaults to :data:`DEFAULT_PATTERN`.
        unit (str): Unit of the parsed number: 's', 'ms' or 'us'.
            Defaults to 'ms'.
        host (str): adb server host. Defaults to '127.0.0.1'.
        port (int): adb server port. Defaults to 5037.
        remote_dir (str): Device folder for pushed models. Defaults to
            '/data/local/tmp/mmdonna'.
        repeats (int): Runs per runner invocation. Defaults to 50.
        threads (int): Threads of the runner. Defaults to 1.
        provider (str): Execution provider of the runner. Defaults to 'cpu'.
        rounds (int): Runner invocations per measurement. Defaults to 1.
        retries (int): Retries after a device error. Defaults to 2.
        retry_wait_s (float): Seconds between retries. Defaults to 2.0.
        timeout_s (float): Socket timeout of one adb request (a whole runner
            invocation included). Defaults to 600.0.
        target_id (str, optional): Defaults to None: ``'adb-<serial>'``.
        opset_version (int): ONNX opset of the export. Defaults to 17.
    """
    backend = 'adb'

    def __init__(self,
                 serial: str,
                 runner: str = '/data/local/tmp/onnxruntime_perf_test',
                 command: str = DEFAULT_COMMAND,
                 pattern: str = DEFAULT_PATTERN,
                 unit: str = 'ms',
                 host: str = '127.0.0.1',
                 port: int = 5037,
                 remote_dir: str = '/data/local/tmp/mmdonna',
                 repeats: int = 50,
                 threads: int = 1,
                 provider: str = 'cpu',
                 rounds: int = 1,
                 retries: int = 2,
                 retry_wait_s: float = 2.0,
                 timeout_s: float = 600.0,
                 target_id: Optional[str] = None,
                 opset_version: int = 17):
        if not serial or not isinstance(serial, str):
            raise LatencyConfigError(
                f'AdbEstimator serial={serial!r}: set the device serial '
                f'(adb devices) in latency.targets')
        if '{model}' not in command:
            raise LatencyConfigError(
                f'AdbEstimator command={command!r} has no {{model}} '
                f'placeholder; put the pushed model path in the command')
        try:
            command.format(**_PLACEHOLDERS)
        except (KeyError, IndexError, ValueError) as e:
            raise LatencyConfigError(
                f'AdbEstimator command={command!r}: bad placeholder {e}; use '
                f'{sorted(_PLACEHOLDERS)}') from None
        try:
            re.compile(pattern)
        except re.error as e:
            raise LatencyConfigError(
                f'AdbEstimator pattern={pattern!r} is not a regular '
                f'expression ({e})') from None
        if unit not in ('s', 'ms', 'us'):
            raise LatencyConfigError(
                f"AdbEstimator unit={unit!r}: use 's', 'ms' or 'us'")
        for key, value, low in (('repeats', repeats, 1), ('rounds', rounds, 1),
                                ('retries', retries, 0), ('threads', threads,
                                                          0)):
            if not isinstance(value, int) or value < low:
                raise LatencyConfigError(
                    f'AdbEstimator {key}={value!r}: use an integer >= {low}')
        self.serial = serial
        self.runner = runner
        self.command = command
        self.pattern = pattern
        self.unit = unit
        self.host = host
        self.port = int(port)
        self.remote_dir = remote_dir
        self.repeats = repeats
        self.threads = threads
        self.provider = provider
        self.rounds = rounds
        self.retries = retries
        self.retry_wait_s = float(retry_wait_s)
        self.timeout_s = float(timeout_s)
        self.opset_version = opset_version
        self.target_id = target_id or f'adb-{serial}'
        self._device = None

    def meta(self) -> dict:
        return dict(
            target_id=self.target_id,
            backend=self.backend,
            serial=self.serial,
            runner=self.runner,
            command=self.command,
            provider=self.provider,
            threads=self.threads,
            repeats=self.repeats,
            rounds=self.rounds)

    # ---- device ------------------------------------------------------------
    def connect(self):
        """Check the settings against the device once and return it.

        Raises:
            LatencyConfigError: no adb server, serial not connected, or runner
                missing on the device.
        """
        if self._device is not None:
            return self._device
        import adbutils

        # adbutils would start an adb server itself when none answers; a
        # wrong host/port is a setting error, say so instead.
        try:
            socket.create_connection((self.host, self.port), timeout=3).close()
        except OSError as e:
            raise LatencyConfigError(
                f'AdbEstimator: no adb server at {self.host}:{self.port} '
                f'({e.__class__.__name__}); start it (adb start-server) or '
                f'fix host/port in latency.targets') from None
        client = adbutils.AdbClient(
            host=self.host, port=self.port, socket_timeout=self.timeout_s)
        connected = [d.serial for d in client.list() if d.state == 'device']
        if self.serial not in connected:
            raise LatencyConfigError(
                f'AdbEstimator serial={self.serial!r} is not connected to the '
                f'adb server at {self.host}:{self.port} (connected: '
                f'{connected}); set serial in latency.targets to one of them')
        device = client.device(self.serial)
        if not device.sync.exists(self.runner):
            raise LatencyConfigError(
                f'AdbEstimator runner={self.runner!r} does not exist on '
                f'device {self.serial!r}; push the benchmark runner there '
                f'(adb push onnxruntime_perf_test {self.runner}) or fix '
                f'runner in latency.targets')
        device.shell2(
            f'mkdir -p {shlex.quote(self.remote_dir)}', timeout=self.timeout_s)
        self._device = device
        return device

    def _run(self, device, model: bytes, remote: str) -> list:
        """Push, run ``rounds`` times, parse; always try to remove the file.
        Device errors propagate (the caller retries)."""
        device.sync.push(model, remote, mode=0o644)
        try:
            cmd = self.command.format(
                runner=shlex.quote(self.runner),
                model=shlex.quote(remote),
                repeats=self.repeats,
                threads=self.threads,
                provider=self.provider,
                remote_dir=shlex.quote(self.remote_dir))
            values = []
            for _ in range(self.rounds):
                res = device.shell2(cmd, timeout=self.timeout_s, v2=True)
                ms = parse_latency_ms(res.output, self.pattern, self.unit)
                if res.returncode != 0:
                    raise _RunnerError(
                        f'runner exited with code {res.returncode}: '
                        f'{one_line(res.output) or "(no output)"}')
                if ms is None:
                    raise _RunnerError(
                        f'pattern {self.pattern!r} found no latency in the '
                        f'runner output: {one_line(res.output)!r}')
                values.append(ms)
            return values
        finally:
            try:
                device.shell2(
                    f'rm -f {shlex.quote(remote)}', timeout=self.timeout_s)
            except Exception:  # the device is gone: nothing to clean
                pass

    def measure(self, module: nn.Module, input_shape: Sequence[int]) -> dict:
        device = self.connect()
        try:
            model = export_onnx(module, input_shape, self.opset_version)
        except Exception as e:  # any exporter failure skips this candidate
            return self._fail('ONNX export', describe_exception(e))
        name = f'mmdonna_{hashlib.sha1(model).hexdigest()[:16]}.onnx'
        remote = posixpath.join(self.remote_dir, name)
        error = None
        for attempt in range(self.retries + 1):
            if attempt:
                print_log(
                    f'[{self.target_id}] device error ({error}); retry '
                    f'{attempt}/{self.retries} in {self.retry_wait_s:g}s',
                    logger='current')
                time.sleep(self.retry_wait_s)
            try:
                values = self._run(device, model, remote)
            except _RunnerError as e:
                return self._fail('on-device run', str(e))
            except Exception as e:  # device lost mid-run: retry
                error = describe_exception(e)
                continue
            result = summarize_timings(values)
            result['repeats'] = self.rounds * self.repeats
            return result
        return self._fail(
            'adb measurement',
            f'device {self.serial!r} failed {self.retries + 1} times, last: '
            f'{error}')
