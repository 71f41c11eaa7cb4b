"""Score the block library when BKD training ends."""
import copy
import os.path as osp
from typing import Optional

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook

from mmdonna.registry import HOOKS
from mmdonna.utils.bn_calibration import DEFAULT_CALIB_BATCHES, take


@HOOKS.register_module()
class BlockLibraryHook(Hook):
    """After BKD, re-estimate every option's BN statistics on training
    batches and score every option on held-out data into
    ``<work_dir>/block_library.json`` (resumable, see
    :func:`mmdonna.library.score_block_library`).

    Args:
        dataloader (dict, optional): Held-out dataloader config; defaults to
            the config's ``val_dataloader``. Defaults to None.
        out_file (str): File name in the work dir.
            Defaults to 'block_library.json'.
        max_batches (int, optional): Score at most this many batches.
            Defaults to None.
        bn_calib_batches (int): Training batches that re-estimate the BN
            statistics of every option before scoring (0: keep what BKD
            left, which DONNA does not). Defaults to 16.
    """

    priority = 'LOW'

    def __init__(self,
                 dataloader: Optional[dict] = None,
                 out_file: str = 'block_library.json',
                 max_batches: Optional[int] = None,
                 bn_calib_batches: int = DEFAULT_CALIB_BATCHES):
        if bn_calib_batches < 0:
            raise ValueError(f'BlockLibraryHook.bn_calib_batches='
                             f'{bn_calib_batches} must be >= 0')
        self.dataloader = copy.deepcopy(dataloader)
        self.out_file = out_file
        self.max_batches = max_batches
        self.bn_calib_batches = bn_calib_batches

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
            calib = (
                take(runner.train_dataloader, self.bn_calib_batches)
                if self.bn_calib_batches else None)
            library = score_block_library(
                runner.model,
                loader,
                out,
                max_batches=self.max_batches,
                calib_batches=calib)
            runner.logger.info(
                f'block library of {library.space.num_blocks} blocks / '
                f'{sum(library.space.num_options)} options on '
                f'{library.num_samples} held-out samples -> {out}')
        barrier()
