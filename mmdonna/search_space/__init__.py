from .attention_block import AttentionBlock
from .block_spec import BlockSpec
from .builder import (SearchSpaceError, build_option, expand_options,
                      get_submodule, infer_stride, set_submodule, shape_of)
from .elastic_mbconv import ElasticMBConv
from .mbconv import MBConv
from .res_block import ResBlock
from .search_space import SearchSpace

__all__ = [
    'AttentionBlock', 'BlockSpec', 'ElasticMBConv', 'MBConv', 'ResBlock',
    'SearchSpace', 'SearchSpaceError', 'build_option', 'expand_options',
    'get_submodule', 'set_submodule', 'infer_stride', 'shape_of'
]
