#!/usr/bin/env bash
# Create (or reuse) the project virtual environment with the pinned stack.
#
# Usage: source-free; call it and use the printed python, or let
#   tools/run_demo.sh / tools/run_tests.sh call it for you.
#   MMSSMD_VENV  where the venv lives (default: <repo>/.venv)
#   PYTHON       interpreter used to create it (default: python3.11, else python3)
#
# It is idempotent and fast once done: a stamp file records the hash of
# requirements.txt + this script, and nothing is reinstalled while it matches.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
STAMP=$VENV/.mmssmd-setup-stamp
want=$(cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/tools/setup_env.sh" "$REPO_ROOT/setup.py" | sha256sum | cut -d' ' -f1)

if [[ -f $STAMP && $(cat "$STAMP") == "$want" && -x $VENV/bin/python ]]; then
    exit 0
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
echo "[setup_env] creating the environment in $VENV with $($PYTHON --version)" >&2
start=$(date +%s)
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
pip_install() { "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@"; }

req() { grep -E "^$1==" "$REPO_ROOT/requirements.txt"; }

# 1. torch first: mmcv compiles its ops against the installed torch.
#    A GPU user who installed a CUDA torch into this venv keeps it.
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    pip_install "$(req torch)"
fi
# 2. mmcv 2.1.0 exists only as a source archive; its setup.py imports torch and
#    pkg_resources, hence setuptools<70 and no build isolation. pip caches the
#    built wheel, so this is slow (~10 min on 2 cores) only the first time.
if ! "$VENV/bin/python" -c 'import mmcv.ops' 2>/dev/null; then
    echo "[setup_env] building mmcv with its ops (about 25 minutes on 2 cores" \
         "the first time, seconds once pip has cached the wheel)" >&2
    pip_install 'setuptools<70' wheel
    pip_install --no-build-isolation "$(req mmcv)"
fi
# 3. torchvision in the build of the installed torch: PyPI's for PyPI's
#    torch, PyTorch's index for a local build tag (torch 2.13.0+cpu ->
#    torchvision 0.28.0+cpu; PyPI's wheel is linked against CUDA torch and
#    fails to import next to a CPU torch). mmssmd resolves torchvision://
#    names without it (README, "Pretrained weights offline"), so a machine
#    that cannot reach PyTorch's index goes on without it, and says so.
if ! "$VENV/bin/python" -c 'import torchvision' 2>/dev/null; then
    build=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.partition("+")[2])')
    if [[ -n $build ]]; then
        pip_install --no-deps --retries 1 --extra-index-url \
            "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/$build}" \
            "$(req torchvision)+$build" || true
    else
        pip_install --no-deps "$(req torchvision)" || true
    fi
    if ! "$VENV/bin/python" -c 'import torchvision' 2>/dev/null; then
        "$VENV/bin/python" -m pip uninstall -y -q torchvision 2>/dev/null || true
        echo "[setup_env] note: no torchvision build for torch" \
             "$("$VENV/bin/python" -c 'import torch; print(torch.__version__)')" \
             "could be installed (set TORCH_INDEX_URL to a reachable PyTorch" \
             "index); going on without it" >&2
    fi
fi
# 4. The rest of the pins (setuptools back to what torch asks for; torchvision
#    came in its matching build above), then mmssmd itself in editable mode.
rest=$(mktemp)
trap 'rm -f "$rest"' EXIT
grep -v -E '^torchvision==' "$REPO_ROOT/requirements.txt" > "$rest"
pip_install -r "$rest"
pip_install --no-build-isolation --no-deps -e "$REPO_ROOT"
"$VENV/bin/python" -c 'import mmcv.ops, mmdet, mmssmd' >/dev/null
echo "$want" > "$STAMP"
echo "[setup_env] ready in $(( $(date +%s) - start )) s" >&2
