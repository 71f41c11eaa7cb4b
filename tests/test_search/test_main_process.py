"""run_on_main_process under a real 2-process gloo group: rank 0 works,
rank 1 waits and receives the result (or the error)."""
import json
import os
import socket

import torch.distributed as dist
import torch.multiprocessing as mp

from mmdonna.search.main_process import MainProcessError, run_on_main_process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    calls = []

    def search():
        calls.append(rank)
        return dict(front=[[0, 1], [1, 0]], by=rank)

    def failing():
        raise ValueError('no architecture meets the budget')

    out = dict(result=run_on_main_process(search, 'search'), calls=calls)
    try:
        run_on_main_process(failing, 'search')
    except MainProcessError as e:
        out['error'] = ['MainProcessError', str(e)]
    except ValueError as e:
        out['error'] = ['ValueError', str(e)]
    dist.destroy_process_group()
    with open(os.path.join(out_dir, f'{rank}.json'), 'w') as f:
        json.dump(out, f)


def test_rank0_searches_others_receive(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2)
    r0 = json.load(open(tmp_path / '0.json'))
    r1 = json.load(open(tmp_path / '1.json'))
    assert r0['calls'] == [0] and r1['calls'] == []  # only rank 0 worked
    assert r0['result'] == r1['result'] == dict(front=[[0, 1], [1, 0]], by=0)
    assert r0['error'] == ['ValueError', 'no architecture meets the budget']
    assert r1['error'][0] == 'MainProcessError'
    assert 'no architecture meets the budget' in r1['error'][1]
