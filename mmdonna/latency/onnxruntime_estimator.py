"""Latency on the host with ONNX Runtime."""
import os
import time
from typing import Optional, Sequence

import numpy as np
from torch import nn

from mmdonna.registry import TASK_UTILS
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError
from .onnx_export import export_onnx
from .timing import describe_exception, summarize_timings

_GRAPH_LEVELS = ('disable', 'basic', 'extended', 'all')
_CLOCKS = dict(wall=time.perf_counter_ns, thread_cpu=time.thread_time_ns)


@TASK_UTILS.register_module()
class OnnxRuntimeEstimator(BaseLatencyEstimator):
    """Export to ONNX, run in an onnxruntime session, time every run.

    Stability on a shared CPU comes from: a fixed number of threads
    (``intra_op_threads=1, inter_op_threads=1`` and sequential execution by
    default, no spinning), ``warmup`` untimed runs (allocator, caches,
    kernel selection), ``repeats`` timed runs per round and optionally
    ``rounds`` rounds and a CPU affinity. The result carries ``median_ms``
    and ``min_ms``: other processes can only add time to a run, so on a busy
    machine ``min_ms`` is the least disturbed statistic (Python's ``timeit``
    advice) and ``median_ms`` the usual one on a dedicated machine.

    Two options make block-by-block measurements agree with whole networks
    on a shared host (see ``configs/_base_/latency/host_ort.py``):

    * ``clock='thread_cpu'`` times each run by the CPU time of the calling
      thread. With one intra-op and one inter-op thread onnxruntime runs the
      whole graph on the calling thread, so this is the run's latency without
      the time the OS gave the core to other processes. Single-threaded only
      (checked); it is part of the target id (``...-1t-cputime``), so a LUT
      never mixes clocks.
    * ``cache_flush_mb`` writes a buffer of that size before every timed run
      (untimed), evicting the per-core caches. A block measured alone would
      otherwise find its weights in cache from the previous run, which it
      does not inside the network where the other blocks evicted them.

    Args:
        target_id (str, optional): Name of the target. Defaults to None:
            ``'host-ort-<provider>-<intra_op_threads>t'``, e.g.
            ``'host-ort-cpu-1t'`` (``+ '-cputime'`` with the CPU clock).
        intra_op_threads (int): Threads inside an operator (0: onnxruntime's
            default, all cores). Defaults to 1.
        inter_op_threads (int): Threads across operators; 1 runs the graph
            sequentially. Defaults to 1.
        providers (Sequence[str]): Execution providers in priority order.
            Defaults to ('CPUExecutionProvider', ).
        warmup (int): Untimed runs before timing. Defaults to 10.
        repeats (int): Timed runs per round. Defaults to 50.
        rounds (int): Rounds of ``repeats`` runs, each after one untimed run;
            all timings are pooled. Defaults to 1.
        graph_optimization_level (str): 'disable', 'basic', 'extended' or
            'all'. Defaults to 'all'.
        allow_spinning (bool): Let idle onnxruntime threads busy-wait (faster
            with several threads, but steals CPU from others). Defaults to
            False.
        cpu_affinity (Sequence[int], optional): CPUs the measuring thread
            (and the session threads it creates) are pinned to while
            measuring (Linux). Defaults to None (not pinned).
        clock (str): 'wall' (wall-clock time of each run) or 'thread_cpu'
            (CPU time of the calling thread; single-threaded only).
            Defaults to 'wall'.
        cache_flush_mb (float): Size of the buffer written before each timed
            run to evict the caches; 0 disables it. Defaults to 0.0.
        opset_version (int): ONNX opset of the export. Defaults to 17.
        seed (int): Seed of the random input. Defaults to 0.
    """
    backend = 'onnxruntime'

    def __init__(self,
                 target_id: Optional[str] = None,
                 intra_op_threads: int = 1,
                 inter_op_threads: int = 1,
                 providers: Sequence[str] = ('CPUExecutionProvider', ),
                 warmup: int = 10,
                 repeats: int = 50,
                 rounds: int = 1,
                 graph_optimization_level: str = 'all',
                 allow_spinning: bool = False,
                 cpu_affinity: Optional[Sequence[int]] = None,
                 clock: str = 'wall',
                 cache_flush_mb: float = 0.0,
                 opset_version: int = 17,
                 seed: int = 0):
        import onnxruntime as ort
        for key, value, low in (('intra_op_threads', intra_op_threads,
                                 0), ('inter_op_threads', inter_op_threads, 0),
                                ('warmup', warmup, 0), ('repeats', repeats, 1),
                                ('rounds', rounds, 1)):
            if not isinstance(value, int) or value < low:
                raise LatencyConfigError(
                    f'OnnxRuntimeEstimator {key}={value!r}: use an integer '
                    f'>= {low} in latency.targets')
        if isinstance(providers, str):
            providers = [providers]
        providers = list(providers)
        available = ort.get_available_providers()
        missing = [p for p in providers if p not in available]
        if not providers or missing:
            raise LatencyConfigError(
                f'OnnxRuntimeEstimator providers={providers!r}: '
                f'{missing or "none"} not available in this onnxruntime '
                f'(available: {available}); fix providers in '
                f'latency.targets')
        if graph_optimization_level not in _GRAPH_LEVELS:
            raise LatencyConfigError(
                f'OnnxRuntimeEstimator graph_optimization_level='
                f'{graph_optimization_level!r}: use one of {_GRAPH_LEVELS}')
        if clock not in _CLOCKS:
            raise LatencyConfigError(
                f'OnnxRuntimeEstimator clock={clock!r}: use one of '
                f'{sorted(_CLOCKS)}')
        if clock == 'thread_cpu' and (intra_op_threads,
                                      inter_op_threads) != (1, 1):
            raise LatencyConfigError(
                f"OnnxRuntimeEstimator clock='thread_cpu' times only the "
                f'calling thread: set intra_op_threads=1 and '
                f'inter_op_threads=1 (got {intra_op_threads}, '
                f"{inter_op_threads}) or use clock='wall'")
        if not cache_flush_mb >= 0:
            raise LatencyConfigError(
                f'OnnxRuntimeEstimator cache_flush_mb={cache_flush_mb!r}: use '
                f'a size in MiB >= 0 (0 disables the flush)')
        if cpu_affinity is not None:
            cpu_affinity = sorted(int(c) for c in cpu_affinity)
            usable = sorted(os.sched_getaffinity(0))
            if not cpu_affinity or not set(cpu_affinity) <= set(usable):
                raise LatencyConfigError(
                    f'OnnxRuntimeEstimator cpu_affinity={cpu_affinity}: use '
                    f'a non-empty subset of the usable CPUs {usable}')
        self.intra_op_threads = intra_op_threads
        self.inter_op_threads = inter_op_threads
        self.providers = providers
        self.warmup = warmup
        self.repeats = repeats
        self.rounds = rounds
        self.graph_optimization_level = graph_optimization_level
        self.allow_spinning = allow_spinning
        self.cpu_affinity = cpu_affinity
        self.clock = clock
        self.cache_flush_mb = float(cache_flush_mb)
        self.opset_version = opset_version
        self.seed = seed
        if target_id is None:
            short = '+'.join(
                p.replace('ExecutionProvider', '').lower() for p in providers)
            threads = intra_op_threads or 'auto'
            target_id = f'host-ort-{short}-{threads}t'
            if clock == 'thread_cpu':
                target_id += '-cputime'
        self.target_id = target_id

    def meta(self) -> dict:
        import onnxruntime as ort
        return dict(
            target_id=self.target_id,
            backend=self.backend,
            onnxruntime=ort.__version__,
            providers=self.providers,
            intra_op_threads=self.intra_op_threads,
            inter_op_threads=self.inter_op_threads,
            graph_optimization_level=self.graph_optimization_level,
            warmup=self.warmup,
            repeats=self.repeats,
            rounds=self.rounds,
            cpu_affinity=self.cpu_affinity,
            clock=self.clock,
            cache_flush_mb=self.cache_flush_mb)

    def session(self, model: bytes):
        """An inference session with this target's settings."""
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.intra_op_threads
        so.inter_op_num_threads = self.inter_op_threads
        so.execution_mode = (
            ort.ExecutionMode.ORT_SEQUENTIAL
            if self.inter_op_threads == 1 else ort.ExecutionMode.ORT_PARALLEL)
        so.graph_optimization_level = {
            'disable': ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            'basic': ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            'extended': ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            'all': ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[self.graph_optimization_level]
        spin = '1' if self.allow_spinning else '0'
        so.add_session_config_entry('session.intra_op.allow_spinning', spin)
        so.add_session_config_entry('session.inter_op.allow_spinning', spin)
        so.log_severity_level = 3
        return ort.InferenceSession(model, so, providers=self.providers)

    def time_session(self, sess, input_shape: Sequence[int]) -> list:
        """Times (ms, by ``clock``) of ``rounds * repeats`` runs after
        warm-up."""
        rng = np.random.default_rng(self.seed)
        feeds = {
            sess.get_inputs()[0].name:
            rng.standard_normal(tuple(input_shape)).astype(np.float32)
        }
        for _ in range(self.warmup):
            sess.run(None, feeds)
        times = []
        clock = _CLOCKS[self.clock]
        flush = None
        if self.cache_flush_mb > 0:
            flush = np.zeros(int(self.cache_flush_mb * 2**20) // 8)
        for r in range(self.rounds):
            if r:
                sess.run(None, feeds)
            for _ in range(self.repeats):
                if flush is not None:
                    flush += 1.0
                t0 = clock()
                sess.run(None, feeds)
                times.append((clock() - t0) * 1e-6)
        return times

    def measure(self, module: nn.Module, input_shape: Sequence[int]) -> dict:
        try:
            model = export_onnx(module, input_shape, self.opset_version,
                                self.seed)
        except Exception as e:  # any exporter failure skips this candidate
            return self._fail('ONNX export', describe_exception(e))
        saved = None
        if self.cpu_affinity is not None:
            saved = os.sched_getaffinity(0)
            os.sched_setaffinity(0, self.cpu_affinity)
        try:
            sess = self.session(model)
            times = self.time_session(sess, input_shape)
        except Exception as e:  # a failing run skips this candidate
            return self._fail('onnxruntime run', describe_exception(e))
        finally:
            if saved is not None:
                os.sched_setaffinity(0, saved)
        return summarize_timings(times)
