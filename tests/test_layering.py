"""Imports point down the pipeline: no package of mmdonna imports one above
it (lazy imports inside functions included), and only the stage layer runs
Runners."""
import ast
import glob
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Bottom to top. The leaves (hooks, datasets, detection) may use anything
#: below the stages; the stage layer may use everything.
ORDER = [
    'utils', 'registry', 'formats', 'compat', 'version', 'search_space',
    'distill', 'supernet', 'library', 'latency', 'filter', 'surrogate',
    'visualization', 'search', 'export', 'hooks', 'datasets', 'detection',
    'stages'
]


def imports(path: str):
    """``(line, mmdonna subpackage)`` of every import in a module."""
    pkg = osp.relpath(path, osp.join(ROOT, 'mmdonna')).split(osp.sep)
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or '').startswith('mmdonna'):
                parts = node.module.split('.')
                names = parts[1:2] or [a.name for a in node.names]
            elif node.level >= 2 and len(pkg) > 1:
                names = [(node.module or '').split('.')[0]]
            else:
                continue
            for name in names:
                yield node.lineno, name
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('mmdonna.'):
                    yield node.lineno, a.name.split('.')[1]


MODULES = sorted(
    glob.glob(osp.join(ROOT, 'mmdonna', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('path', MODULES, ids=lambda p: osp.relpath(p, ROOT))
def test_imports_point_down(path):
    rel = osp.relpath(path, osp.join(ROOT, 'mmdonna')).split(osp.sep)
    pkg = rel[0][:-3] if len(rel) == 1 else rel[0]
    if pkg == '__init__':
        return
    level = ORDER.index(pkg)
    for line, name in imports(path):
        if name in ORDER and name != pkg:
            assert ORDER.index(name) < level, (
                f'{osp.relpath(path, ROOT)}:{line} imports mmdonna.{name}, '
                f'which is above mmdonna.{pkg}')


@pytest.mark.parametrize('path', MODULES, ids=lambda p: osp.relpath(p, ROOT))
def test_only_the_stage_layer_runs_runners(path):
    rel = osp.relpath(path, osp.join(ROOT, 'mmdonna'))
    text = open(path).read()
    if not rel.startswith('stages'):
        assert 'Runner.from_cfg' not in text, rel
