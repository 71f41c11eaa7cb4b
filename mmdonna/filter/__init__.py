"""DONNAv2 KD filter: per-block pruning of options before the search."""
from .block_filter import FilterError, describe_removal, filter_block
from .kd_filter import KDFilter, filter_table, kept_options
from .pareto import dominance_matrix, pareto_layers, pareto_mask

__all__ = [
    'FilterError', 'KDFilter', 'describe_removal', 'dominance_matrix',
    'filter_block', 'filter_table', 'kept_options', 'pareto_layers',
    'pareto_mask'
]
