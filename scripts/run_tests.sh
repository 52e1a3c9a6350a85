#!/usr/bin/env bash
# The test command: sets up the environment, fetches transformers' own model test battery from the transformers
# source distribution matching the installed version, and runs the whole suite offline, in PYTEST_WORKERS processes
# (pytest-xdist; default 2, the CI machine's cores), printing the 25 slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
. .venv/bin/activate
python tests/fetch_transformers_tests.py
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1 TOKENIZERS_PARALLELISM=false
# Waiting OpenMP threads sleep instead of spinning on the cores the other worker needs (tests/conftest.py).
export OMP_WAIT_POLICY=PASSIVE
python -m pytest -n "${PYTEST_WORKERS:-2}" --durations=25 "$@"
