from .block_library import BlockLibrary
from .scoring import module_cost, score_block_library

__all__ = ['BlockLibrary', 'module_cost', 'score_block_library']
