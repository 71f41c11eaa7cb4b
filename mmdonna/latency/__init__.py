"""Hardware-aware latency: estimators (ONNX Runtime on the host, Android
devices over ADB, FLOPs) and the per-option lookup table the search sums."""
from .adb_estimator import AdbEstimator
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError
from .flops_estimator import FlopsEstimator
from .latency_config import (BACKENDS, DEFAULT_LATENCY, build_estimator,
                             build_targets, estimator_types, latency_settings,
                             lut_path, select_target)
from .latency_lut import LatencyLUT
from .lut_math import abs_pct_errors, fit_affine, predict_codes
from .onnx_export import export_onnx
from .onnxruntime_estimator import OnnxRuntimeEstimator
from .pipeline import (format_latency_report, run_measure_latency,
                       teacher_and_space)
from .timing import parse_latency_ms, summarize_timings

__all__ = [
    'AdbEstimator', 'BaseLatencyEstimator', 'FlopsEstimator', 'LatencyLUT',
    'LatencyConfigError', 'OnnxRuntimeEstimator', 'BACKENDS',
    'DEFAULT_LATENCY', 'build_estimator', 'build_targets', 'estimator_types',
    'latency_settings', 'lut_path', 'select_target', 'abs_pct_errors',
    'fit_affine', 'predict_codes', 'export_onnx', 'format_latency_report',
    'run_measure_latency', 'teacher_and_space', 'parse_latency_ms',
    'summarize_timings'
]
