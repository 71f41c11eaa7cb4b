"""Score the block library when BKD training ends."""
import copy
import os.path as osp
from typing import Optional

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook

from mmdonna.registry import HOOKS


@HOOKS.register_module()
class BlockLibraryHook(Hook):
    """After BKD, score every option on held-out data into
    ``<work_dir>/block_library.json`` (resumable, see
    :func:`mmdonna.library.score_block_library`).

    Args:
        dataloader (dict, optional): Held-out dataloader config; defaults to
            the config's ``val_dataloader``. Defaults to None.
        out_file (str): File name in the work dir.
            Defaults to 'block_library.json'.
        max_batches (int, optional): Score at most this many batches.
            Defaults to None.
    """

    priority = 'LOW'

    def __init__(self,
                 dataloader: Optional[dict] = None,
                 out_file: str = 'block_library.json',
                 max_batches: Optional[int] = None):
        self.dataloader = copy.deepcopy(dataloader)
        self.out_file = out_file
        self.max_batches = max_batches

    def after_train(self, runner) -> None:
        from mmdonna.library import score_block_library
        cfg = self.dataloader or runner.cfg.get('val_dataloader')
        if not cfg:
            raise ValueError(
                'BlockLibraryHook needs held-out data: set its `dataloader` '
                'or `val_dataloader` in the config')
        # every rank builds the loader: its sampler syncs a seed across ranks
        loader = runner.build_dataloader(copy.deepcopy(cfg))
        if is_main_process():
            out = osp.join(runner.work_dir, self.out_file)
            library = score_block_library(
                runner.model, loader, out, max_batches=self.max_batches)
            runner.logger.info(
                f'block library of {library.space.num_blocks} blocks / '
                f'{sum(library.space.num_options)} options on '
                f'{library.num_samples} held-out samples -> {out}')
        barrier()
