"""Plots and the Markdown report of a search (matplotlib, Agg backend)."""
from .library_plot import plot_block_library
from .pareto_plot import plot_pareto
from .report import front_table, lut_error, write_report

__all__ = [
    'front_table', 'lut_error', 'plot_block_library', 'plot_pareto',
    'write_report'
]
