"""Every import of mmdonna in the benchmarks and tools resolves, including
the ones inside functions (a benchmark runs for an hour before it reaches
them), and every benchmark and tool answers ``--help``."""
import ast
import glob
import importlib
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPTS = sorted(
    glob.glob(osp.join(ROOT, 'benchmarks', '*.py')) +
    glob.glob(osp.join(ROOT, 'tools', '*.py')) +
    glob.glob(osp.join(ROOT, 'projects', '*', 'tools', '*.py')))


def mmdonna_imports(path: str):
    """``(module, name)`` of every ``from mmdonna... import name`` and
    ``(module, None)`` of every ``import mmdonna...`` in the file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (
                node.module or '').split('.')[0] == 'mmdonna':
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'mmdonna':
                    yield alias.name, None


@pytest.mark.parametrize(
    'path', SCRIPTS, ids=[osp.relpath(p, ROOT) for p in SCRIPTS])
def test_every_mmdonna_import_resolves(path):
    for module, name in mmdonna_imports(path):
        mod = importlib.import_module(module)
        if name is not None and not hasattr(mod, name):
            # a submodule imported by name
            importlib.import_module(f'{module}.{name}')


def test_the_check_sees_a_missing_name(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('def run():\n'
                   '    from mmdonna.stages import no_such_stage\n')
    with pytest.raises(ModuleNotFoundError):
        test_every_mmdonna_import_resolves(str(bad))


@pytest.mark.parametrize(
    'path', SCRIPTS, ids=[osp.relpath(p, ROOT) for p in SCRIPTS])
def test_help(path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, path, '--help'],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'usage' in proc.stdout


CONFIG_TOOLS = [
    p for p in SCRIPTS
    if osp.relpath(p, ROOT) in ('tools/search.py', 'tools/train.py',
                                'tools/fit_predictor.py',
                                'tools/measure_latency.py',
                                'projects/yolop/tools/evaluate.py',
                                'projects/yolop/tools/generate_data.py')
]


@pytest.mark.parametrize(
    'path', CONFIG_TOOLS, ids=[osp.relpath(p, ROOT) for p in CONFIG_TOOLS])
def test_missing_config_is_one_line(path, tmp_path):
    missing = str(tmp_path / 'no_such_config.py')
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, path, missing],
                          cwd=str(tmp_path),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line, ) = [
        x for x in proc.stderr.splitlines()
        if 'Warning' not in x and not x.startswith(' ')
    ]
    assert line.startswith('error: ') and missing in line, line
