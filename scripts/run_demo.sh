#!/usr/bin/env bash
# The main job: set up, train AMSDFF on the offline Rotten Tomatoes corpus with the offline MiniLM encoder,
# evaluate it on the held-out test split, save it as a Hub-ready folder, reload it with trust_remote_code=True in a
# process without this package, and classify a few sentences. About 5 minutes on 2 CPU cores.
# Extra arguments go to train.py (e.g. --num_train_epochs 3, --model_type baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-outputs/amsdff-rotten-tomatoes}
python train.py --output_dir "$OUT" --num_train_epochs 1 --per_device_train_batch_size 32 --max_seq_length 64 \
  --learning_rate 1e-4 --lr_scheduler_type cosine --warmup_steps 0.1 --weight_decay 0.01 \
  --eval_strategy no --save_strategy no --logging_steps 50 --report_to tensorboard --disable_tqdm true "$@"
echo
echo "== saved Hub repo: $OUT"; ls "$OUT"
echo
echo "== reloaded with trust_remote_code=True, package blocked:"
python scripts/classify.py "$OUT" \
  "A gripping, beautifully acted film that stays with you." \
  "Two hours of my life I will never get back." \
  "The plot is thin but the performances are wonderful."
