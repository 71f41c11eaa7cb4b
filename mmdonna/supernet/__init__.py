from mmdonna.utils.block_capture import BlockCapture
from .block_options import BlockOptions
from .donna_supernet import DonnaSupernet

__all__ = ['BlockCapture', 'BlockOptions', 'DonnaSupernet']
