#!/usr/bin/env bash
# One-command install of mmdonna and its pinned OpenMMLab stack into the active
# Python environment (use a virtual environment). Idempotent: a second run only
# checks what is installed and reuses the cached mmcv wheel.
#
#   python3.11 -m venv .venv && . .venv/bin/activate && bash tools/install.sh
#
# Environment:
#   PYTHON              interpreter to install into (default: python)
#   MMDONNA_WHEEL_CACHE where built mmcv wheels are kept, one folder per
#                       torch/python version (default: ~/.cache/mmdonna/wheels)
#   MAX_JOBS            compile jobs for the mmcv ops build (default: nproc)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${PYTHON:-python}
constraints="$root/requirements/constraints.txt"
pipc() { "$py" -m pip install --disable-pip-version-check -c "$constraints" "$@"; }

log() { printf '[mmdonna-install] %s\n' "$*"; }
SECONDS=0

log "1/4 build tools and torch/torchvision (pinned in requirements/constraints.txt)"
pipc -q 'pip>=23' 'setuptools<70' wheel ninja
pipc -q -r "$root/requirements/torch.txt"

torch_ver=$("$py" -c 'import torch; print(torch.__version__)')
py_tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
cache_root=${MMDONNA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmdonna/wheels}
# pip's own cache would hand back a wheel compiled against another torch: key ours
# by the torch version it was built against.
cache="$cache_root/torch-$torch_ver-$py_tag"
mkdir -p "$cache"

if "$py" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "2.1.0"' 2>/dev/null; then
  log "2/4 mmcv 2.1.0 with ops already installed"
else
  wheel=$(ls "$cache"/mmcv-2.1.0-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ]; then
    log "2/4 building mmcv 2.1.0 with compiled ops against torch $torch_ver (several minutes)"
    tmp=$(mktemp -d)
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$py" -m pip wheel --disable-pip-version-check -c "$constraints" \
      --no-build-isolation --no-deps --no-cache-dir -w "$tmp" mmcv==2.1.0
    mv "$tmp"/mmcv-2.1.0-*.whl "$cache"/  # rename within one filesystem is atomic
    rm -rf "$tmp"
    wheel=$(ls "$cache"/mmcv-2.1.0-*.whl | head -n 1)
  else
    log "2/4 reusing cached mmcv wheel $wheel"
  fi
  pipc -q "$wheel"
fi

log "3/4 OpenMMLab stack and mmdonna (editable) with test tools"
# mmagic is installed without its declared dependencies: they include mediapipe,
# face-alignment, facexlib, controlnet-aux, ... which mmagic.models does not import
# and which pull numpy 2 on this Python. requirements/mmagic.txt lists what its
# models need, each pinned in constraints.txt.
pipc -q --no-deps mmagic==1.2.0
# mmagic.datasets/evaluation import albumentations at module level; its
# declared opencv-python-headless would be a second cv2 beside the pinned
# opencv-python, so it goes in without dependencies too.
pipc -q --no-deps albumentations qudida
pipc -q -r "$root/requirements/mmagic.txt"
pipc -q -e "$root[tests]"

log "4/4 checking the installed stack"
"$py" - <<'PY'
import mmcv, mmcv.ops, mmengine, mmpretrain, mmdet, mmagic, numpy, torch, torchvision
import mmagic.models  # noqa: F401  (pulls diffusers/transformers)
import mmdonna
print('torch', torch.__version__, 'torchvision', torchvision.__version__,
      'numpy', numpy.__version__, 'mmengine', mmengine.__version__,
      'mmcv', mmcv.__version__, 'mmpretrain', mmpretrain.__version__,
      'mmdet', mmdet.__version__, 'mmagic', mmagic.__version__,
      'mmdonna', mmdonna.__version__)
PY
log "done in ${SECONDS}s"
