#!/usr/bin/env bash
# Build the server image from the Dockerfile and check it as a user runs it: a small AMSDFF model folder (MiniLM's
# tokenizer, a 2-layer encoder) mounted read-only at /model, then /health, /info and /predict answered from the host,
# predictions equal to the package's own `load_for_inference(...).predict`, the server running as the non-root user,
# and the image's HEALTHCHECK passing. Not part of the test suite: the build downloads about 1 GB.
#
#   scripts/check_container.sh                     # podman (or CONTAINER_TOOL=docker), base image python:3.11-slim
#
# BUILD_FLAGS / RUN_FLAGS add flags to `build` / `run` (e.g. a local base image and package index where the
# registries are out of reach; docs/container.md shows the ones used on the project's machines). Needs the
# package's environment (scripts/setup_env.sh) for the model and the reference predictions.
set -euo pipefail
cd "$(dirname "$0")/.."

tool=${CONTAINER_TOOL:-podman}
image=${IMAGE:-amsdff-serve:check}
name=amsdff-serve-check-$$
port=${PORT:-18000}
python=${PYTHON:-.venv/bin/python}
model=$(mktemp -d)
trap '$tool rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$model"' EXIT

# shellcheck disable=SC2086  # the flag lists are meant to split
$tool build ${BUILD_FLAGS:-} --format docker -t "$image" . 2>/dev/null || $tool build ${BUILD_FLAGS:-} -t "$image" .

HF_HUB_OFFLINE=1 "$python" - "$model" <<'PY'
import sys

import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from modeling_amsdff import AmsdffForSequenceClassification
from modeling_amsdff.offline_data import minilm_path

folder = sys.argv[1]
torch.manual_seed(0)
encoder = f"{folder}/encoder"
BertModel(BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)).save_pretrained(
    encoder
)
labels = {0: "negative", 1: "positive"}
model = AmsdffForSequenceClassification.from_pretrained_backbone(
    encoder, num_labels=2, id2label=labels, label2id={v: k for k, v in labels.items()}
)
model.save_pretrained(f"{folder}/model")
AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(f"{folder}/model")
PY
chmod -R a+rX "$model"

# shellcheck disable=SC2086
$tool run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$model/model:/model:ro" ${RUN_FLAGS:-} "$image"
for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 1
done
curl -fsS "http://127.0.0.1:$port/health"
echo

HF_HUB_OFFLINE=1 "$python" - "$model/model" "http://127.0.0.1:$port" <<'PY'
import sys

import httpx

from modeling_amsdff.inference import load_for_inference

folder, url = sys.argv[1:3]
texts = ["a warm and funny film", "dull, slow and far too long", "<b>the cast</b> is wonderful"]
info = httpx.get(f"{url}/info", timeout=30).json()
assert info["model_type"] == "amsdff" and info["labels"] == ["negative", "positive"], info
served = httpx.post(f"{url}/predict", json={"inputs": texts}, timeout=60).json()["predictions"]
expected = load_for_inference(folder).predict(texts)
assert [p["label"] for p in served] == [p["label"] for p in expected], (served, expected)
assert max(abs(a["score"] - b["score"]) for a, b in zip(served, expected)) < 1e-5, (served, expected)
bad = httpx.post(f"{url}/predict", json={"inputs": ["  "]}, timeout=30)
assert bad.status_code == 422, bad.text
print(f"predictions equal the package's own for {len(texts)} texts; an empty text is a 422")
PY

user=$($tool exec "$name" id -u)
[ "$user" = 10001 ] || { echo "the server runs as user $user, not 10001" >&2; exit 1; }
echo "server process user: $user (non-root)"
if [ "${tool%% *}" = podman ]; then  # podman runs HEALTHCHECKs from systemd timers: run it once by hand
    $tool healthcheck run "$name" && echo "HEALTHCHECK: healthy"
else
    for _ in $(seq 60); do
        status=$($tool inspect --format '{{.State.Health.Status}}' "$name")
        [ "$status" = healthy ] && break
        sleep 2
    done
    echo "HEALTHCHECK: $status"
    [ "$status" = healthy ]
fi
echo "container check passed ($tool, image $image)"
