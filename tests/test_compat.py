"""Each compatibility fix in mmdonna/compat.py with a test that fails without
it."""
import subprocess
import sys
import textwrap

import numpy as np
import torch
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint
from torch import nn

import mmdonna  # noqa: F401  (applies the fixes)


def _mmengine_style_checkpoint(path):
    """What Runner.save_checkpoint writes: weights plus a message hub with a
    HistoryBuffer and numpy values."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('test_compat')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_info('iter', np.int64(3))
    ckpt = dict(
        meta=dict(epoch=1, iter=3, seed=np.int64(0)),
        state_dict=nn.Linear(2, 2).state_dict(),
        message_hub=hub.state_dict())
    save_checkpoint(ckpt, str(path))


def test_mmengine_checkpoint_loads_with_weights_only_default(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _mmengine_style_checkpoint(path)
    model = nn.Linear(2, 2)
    ckpt = load_checkpoint(model, str(path), map_location='cpu')
    assert ckpt['meta']['iter'] == 3
    hub = ckpt['message_hub']
    assert hub['log_scalars']['train/loss'].mean() == 0.375
    # still weights_only: arbitrary pickled objects are refused
    evil = tmp_path / 'evil.pth'
    torch.save({'x': _Evil()}, str(evil))
    try:
        torch.load(str(evil))
    except Exception as e:  # noqa: B902
        assert 'weights_only' in str(e) or 'Unsupported' in str(e)
    else:
        raise AssertionError('an arbitrary class was unpickled')


class _Evil:
    pass


def test_without_fix_the_same_checkpoint_fails(tmp_path):
    """Proves the fix is needed: a fresh interpreter that does not import
    mmdonna cannot load the checkpoint with torch's default."""
    path = tmp_path / 'ckpt.pth'
    _mmengine_style_checkpoint(path)
    code = textwrap.dedent(f"""
        import torch
        try:
            torch.load({str(path)!r})
        except Exception as e:
            print('FAILED', type(e).__name__)
        else:
            print('LOADED')
    """)
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout
    assert 'FAILED' in out


def test_checkpoint_written_with_mmdonna_loads_in_plain_mmengine(tmp_path):
    """Importing mmdonna changes how a checkpoint's message hub pickles: a
    fresh interpreter without mmdonna still loads it, with mmengine's own
    types allow-listed (no ``getattr``, no mmdonna type) or from a trusted
    source, and gets its statistics back."""
    path = tmp_path / 'ckpt.pth'
    _mmengine_style_checkpoint(path)
    code = textwrap.dedent(f"""
        import sys
        import torch
        from mmengine.logging import HistoryBuffer, MessageHub
        import numpy as np
        from numpy.core.multiarray import _reconstruct, scalar
        safe = [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
                type(np.dtype('float64')), type(np.dtype('int64'))]
        with torch.serialization.safe_globals(safe):
            ckpt = torch.load({str(path)!r})
        trusted = torch.load({str(path)!r}, weights_only=False)
        for c in (ckpt, trusted):
            hub = MessageHub.get_instance('plain')
            hub.load_state_dict(c['message_hub'])
            print('MEAN', hub.get_scalar('train/loss').mean())
        assert 'mmdonna' not in sys.modules
    """)
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count('MEAN 0.375') == 2


def test_history_buffer_keeps_custom_statistics_and_the_instance():
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.0)
    state = buf.__getstate__()
    assert 'statistics_methods' not in state
    assert 'statistics_methods' not in buf.__dict__  # left untouched


def test_numpy_bool8_available_for_mmagic():
    # mmagic 1.2.0 calls np.bool8; numpy is pinned < 2 and compat aliases it.
    assert np.bool8 is np.bool_


_DIST = textwrap.dedent("""
    import sys
    if sys.argv[1] == 'fixed':
        import mmdonna  # noqa: F401
    import torch
    from mmengine.dist import all_reduce, get_rank, get_world_size, init_dist
    from mmengine.model import MMDistributedDataParallel
    init_dist('pytorch', backend='gloo')
    x = torch.ones(1)
    all_reduce(x)
    # what Runner.wrap_model does
    ddp = MMDistributedDataParallel(
        module=torch.nn.Linear(2, 2), device_ids=[0])
    ddp(torch.ones(1, 2)).sum().backward()
    if get_rank() == 0:
        print('WORLD', get_world_size(), 'SUM', float(x))
    # leave together, then without running C++ destructors: a rank that
    # exits while its peer's gloo pair is open, or gloo's teardown itself
    # ("terminate called without an active exception"), aborts a rank with
    # SIGABRT, a flaky failure unrelated to the fix (seen under load even
    # after destroy_process_group)
    import os
    import torch.distributed as dist
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
""")


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _launch(tmp_path, mode, port):
    script = tmp_path / 'dist.py'
    script.write_text(_DIST)
    return subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={port}',
        str(script), mode
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_mmengine_launcher_runs_on_cpu(tmp_path):
    if torch.cuda.is_available():
        return  # the fix only acts without CUDA
    out = _launch(tmp_path, 'fixed', _free_port())
    assert out.returncode == 0, out.stderr[:3000] + out.stderr[-1000:]
    assert 'WORLD 2 SUM 2.0' in out.stdout
    broken = _launch(tmp_path, 'plain', _free_port())
    assert broken.returncode != 0
    assert 'NVIDIA driver' in broken.stderr or 'CUDA' in broken.stderr
