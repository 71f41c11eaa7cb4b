"""Packaging for mmdonna (an OpenMMLab plugin). Install with tools/install.sh."""
import os.path as osp

from setuptools import find_packages, setup


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmdonna', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Read a requirements file, dropping comments and blank lines."""
    reqs = []
    with open(fname) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='mmdonna',
    version=get_version(),
    description='Hardware-aware NAS by blockwise knowledge distillation '
    '(DONNA / DONNAv2) for OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks',
                                    'projects')),
    include_package_data=True,
    python_requires='>=3.9',
    license='Apache License 2.0',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={'tests': parse_requirements('requirements/tests.txt')},
    zip_safe=False,
)
