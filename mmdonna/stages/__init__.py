"""The pipeline of a ``donna`` config, one function per stage: the only
package that runs Runners. Tools and benchmarks call these."""
from .bkd import bkd, bkd_hash
from .derive import (DEFAULTS, bkd_config, donna_settings, finetune_metric,
                     finetune_overrides, is_donna_config, latency_config,
                     supernet_model, teacher_config)
from .donna_search_loop import DonnaSearchLoop
from .errors import DonnaConfigError, StageError
from .export import export
from .finetune import choose_models, finetune, format_table
from .pipeline import STAGES, run_stages, stage_names
from .predictor import collect_predictor_results, finetune_accuracy, predictor
from .quiet_runner import QuietRunner, build_runner
from .report import report, summary_table, write_search_report
from .rerank import rerank
from .run_once import finetuned_checkpoint
from .search import hil, kd_filter, lut, search
from .stage_context import StageContext
from .teacher import chance_level, evaluate_teacher, teacher, teacher_check
from .validate import validate_config

__all__ = [
    'DEFAULTS', 'DonnaConfigError', 'DonnaSearchLoop', 'QuietRunner', 'STAGES',
    'StageContext', 'StageError', 'bkd', 'bkd_config', 'bkd_hash',
    'build_runner', 'chance_level', 'choose_models',
    'collect_predictor_results', 'donna_settings', 'evaluate_teacher',
    'export', 'finetune', 'finetune_accuracy', 'finetune_metric',
    'finetune_overrides', 'finetuned_checkpoint', 'format_table', 'hil',
    'is_donna_config', 'kd_filter', 'latency_config', 'lut', 'predictor',
    'report', 'rerank', 'run_stages', 'search', 'stage_names', 'summary_table',
    'supernet_model', 'teacher', 'teacher_check', 'teacher_config',
    'validate_config', 'write_search_report'
]
