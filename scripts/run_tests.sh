#!/usr/bin/env bash
# The test command: sets up the environment, fetches transformers' own model test battery from the transformers
# source distribution matching the installed version, and runs the whole suite offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
. .venv/bin/activate
python tests/fetch_transformers_tests.py
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1 TOKENIZERS_PARALLELISM=false
python -m pytest "$@"
