from .attention_block import AttentionBlock
from .block_spec import BlockSpec
from .builder import (TEACHER_OPTION, SearchSpaceError, build_block,
                      build_option, channel_dim, channels_of, expand_options,
                      get_submodule, infer_scale, infer_stride,
                      is_teacher_option, layout_of, set_submodule, shape_of,
                      with_teacher_option)
from .dw_sep_block import DWSepBlock
from .edsr_block import EDSRBlock
from .elastic_mbconv import ElasticMBConv
from .mbconv import MBConv
from .mdta_block import MDTABlock
from .option_sets import OPTION_SETS, option_set, register_option_set
from .rca_block import RCABlock
from .res_block import ResBlock
from .search_space import SearchSpace
from .token_blocks import (TokenAttention, TokenConvMixer, TokenMLP,
                           TokenWindowAttention)
from .upsample_block import UPSAMPLE_MODES, UpsampleBlock

__all__ = [
    'AttentionBlock', 'BlockSpec', 'ElasticMBConv', 'MBConv', 'ResBlock',
    'SearchSpace', 'SearchSpaceError', 'build_block', 'build_option',
    'expand_options', 'get_submodule', 'set_submodule', 'infer_stride',
    'shape_of', 'EDSRBlock', 'DWSepBlock', 'RCABlock', 'MDTABlock',
    'TEACHER_OPTION', 'is_teacher_option', 'with_teacher_option',
    'OPTION_SETS', 'option_set', 'register_option_set', 'TokenAttention',
    'TokenMLP', 'TokenWindowAttention', 'TokenConvMixer', 'layout_of',
    'channels_of', 'channel_dim', 'infer_scale', 'UpsampleBlock',
    'UPSAMPLE_MODES'
]
