"""Quality surrogates (lower is better) over architecture codes."""
from .base_surrogate import BaseSurrogate
from .block_loss_sum import (BlockLossSum, block_loss_sum,
                             normalise_block_losses)
from .tables import pad_tables, table_sum

__all__ = [
    'BaseSurrogate', 'BlockLossSum', 'block_loss_sum',
    'normalise_block_losses', 'pad_tables', 'table_sum'
]
