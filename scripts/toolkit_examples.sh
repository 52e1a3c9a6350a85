#!/usr/bin/env bash
# The example plots of docs/training.md's "Experiment toolkit" section, from real runs on the offline data (after
# scripts/setup_env.sh): AMSDFF (every module on, so that the fusion gate is drawn) on 2,000 Rotten Tomatoes snippets
# (2 epochs, evaluated every epoch), AMSRA-Net on 6,000 Fashion-MNIST images (1 epoch). About 10 minutes on 2 CPU
# cores. The plots are copied to docs/toolkit/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-outputs/toolkit-examples}
.venv/bin/python train.py --output_dir "$OUT/amsdff-rt" --overwrite_output_dir --max_train_samples 2000 \
  --num_train_epochs 2 --eval_strategy epoch --logging_steps 10 --learning_rate 1e-4 --max_seq_length 64 \
  --per_device_train_batch_size 32 --save_strategy no --report_to none --disable_tqdm true \
  --config_overrides use_dynamic_fusion=True
.venv/bin/python train.py --model_type amsra_net --output_dir "$OUT/amsra-fmnist" --overwrite_output_dir \
  --max_train_samples 6000 --num_train_epochs 1 --logging_steps 10 --save_strategy no --report_to none \
  --disable_tqdm true
mkdir -p docs/toolkit
for name in learning_curves confusion_matrix roc_precision_recall amsdff_attention expert_usage; do
  cp "$OUT/amsdff-rt/plots/$name.png" docs/toolkit/
done
cp "$OUT/amsra-fmnist/plots/misclassified.png" docs/toolkit/
ls -l docs/toolkit
