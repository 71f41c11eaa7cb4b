from .block_library_hook import BlockLibraryHook

__all__ = ['BlockLibraryHook']
