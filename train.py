#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Train any model of this package with the `transformers` Trainer: one command for every family.

`--model_type` picks the family (see `modeling_amsdff/registry.py`), and the family's task picks the script that
trains it, with the arguments of the matching transformers example:

    amsdff, baseline                                 -> train_text.py   (text classification, run_classification.py)
    base_regression, gated_regression, moe_regression      -> train_text.py   (multi-target text regression)
    amsra_net, resnet18                              -> train_image.py  (image classification,
                                                                         run_image_classification.py)

Every `TrainingArguments` flag works; arguments can also come as one JSON file (`python train.py args.json`). The
output folder is a complete Hub repository: weights, config with `auto_map`, code files, tokenizer or image processor
and a model card with the test metrics. `python train.py --model_type X --help` lists the arguments of X's script.

Examples (more in train_text.py and train_image.py):

    # AMSDFF on the offline Rotten Tomatoes data and MiniLM encoder; evaluates on the test split and writes a Hub repo
    python train.py --output_dir outputs/amsdff-rt --num_train_epochs 2 --per_device_train_batch_size 32

    # the plain baseline (encoder + CLS pooling + linear head) with the same budget
    python train.py --model_type baseline --output_dir outputs/baseline-rt --num_train_epochs 2

    # mixture-of-experts regression of VADER valence and rater disagreement, with the seed's training strategies
    python train.py --model_type moe_regression --output_dir outputs/moe-vader --density_weighting \\
        --freeze_layers 3 --unfreeze_epoch 1 --token_masking --head_learning_rate 1e-3 --regression_loss auto

    # AMSRA-Net on the offline Fashion-MNIST, and without its attention engines (the paper's ablation)
    python train.py --model_type amsra_net --output_dir outputs/amsra-fmnist --num_train_epochs 10
    python train.py --model_type amsra_net --config_overrides use_lgsa=False --output_dir outputs/amsra-no-lgsa

    # data-parallel on two processes, as any transformers example script
    torchrun --nproc_per_node 2 train.py --output_dir outputs/amsdff-ddp
"""

from __future__ import annotations

import json
import sys

from modeling_amsdff.arguments import ModelArguments
from modeling_amsdff.registry import preset
from modeling_amsdff.runner import run_command_line


DEFAULT_MODEL_TYPE = ModelArguments.model_type


def requested_model_type(argv: list[str]) -> str:
    """The `--model_type` of a command line (`--model_type X` or `--model_type=X`), or of a JSON arguments file."""
    if len(argv) == 1 and argv[0].endswith(".json"):
        with open(argv[0]) as handle:
            return json.load(handle).get("model_type", DEFAULT_MODEL_TYPE)
    for index, arg in enumerate(argv):
        if arg == "--model_type" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--model_type="):
            return arg.split("=", 1)[1]
    return DEFAULT_MODEL_TYPE


def main(argv: list[str] | None = None) -> dict:
    """Train the `--model_type` of `argv` with its task's script; returns every metric (as `all_results.json`)."""
    argv = sys.argv[1:] if argv is None else argv
    family, _ = preset(requested_model_type(argv))
    if family.is_image:
        import train_image as task_script
    else:
        import train_text as task_script
    return task_script.main(argv)


if __name__ == "__main__":
    run_command_line(main)
