#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Short-budget trials behind train.py's image defaults: optimizer and learning rate for ResNet-18 and AMSRA-Net
(and AMSRA-Net variants) on the first 6,000 Fashion-MNIST training images for one epoch (94 steps at batch 64, 47 at
128), tested on the first 2,000 official test images, seed 0. A screening run, not the benchmark: one seed and a
small slice, to choose the recipe that benchmarks/image_classification.py then measures in full.

Usage:
    python benchmarks/image_recipe.py                          # every trial below (about 30 min on 2 CPU cores)
    python benchmarks/image_recipe.py --recipes adamw-4e-3

Trials accumulate in benchmarks/results/image_recipe.json (a trial already there is not repeated); the table in
image_recipe.md is written from all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from common import QUIET_CPU_RUN, RESULTS_DIR, machine, write_results

import train


RECIPES = {  # name -> train.py flags (everything else: train.py's image defaults)
    "sgd-0.1": [  # the CIFAR recipe, train.py's image default before 0.3
        *("--optim", "sgd", "--optim_args", "momentum=0.9,nesterov=True", "--learning_rate", "0.1"),
        *("--weight_decay", "5e-4", "--warmup_steps", "0", "--per_device_train_batch_size", "128"),
    ],
    **{
        f"adamw-{lr}": [
            *("--optim", "adamw_torch", "--learning_rate", lr, "--weight_decay", "0.05", "--warmup_steps", "0.05"),
            *("--per_device_train_batch_size", "64"),
        ]
        for lr in ("1e-3", "2e-3", "4e-3")
    },
}
MODELS = {  # name -> (--model_type, --config_overrides); every AMSRA-Net variant named by what it is
    "resnet18": ("resnet18", None),
    "amsra (one MSFD per unit, no zero start: the default since 0.3)": ("amsra_net", None),
    "amsra, two MSFDs per unit, zero start (the design before 0.3)": ("amsra_net", "decouplers_per_unit=2"),
    "amsra, two MSFDs per unit, no zero start": ("amsra_net", "decouplers_per_unit=2,zero_init_residual=False"),
    "amsra, one MSFD per unit, zero start": ("amsra_net", "decouplers_per_unit=1,zero_init_residual=True"),
}
RESNET, AMSRA, TWO, TWO_NO_ZERO, ONE_ZERO = MODELS
# (model, recipe, horizontal flips): the first trials ran while train.py still flipped greyscale images
TRIALS = [
    *((model, recipe, True) for recipe in ("adamw-1e-3", "sgd-0.1", "adamw-2e-3") for model in (RESNET, TWO)),
    (ONE_ZERO, "adamw-2e-3", False),
    *((model, "adamw-4e-3", False) for model in (TWO, RESNET)),
    (TWO_NO_ZERO, "adamw-2e-3", False),
    (AMSRA, "adamw-2e-3", False),
    (AMSRA, "adamw-4e-3", False),
]


def trial(model: str, recipe: str, flip: bool) -> dict:
    model_type, overrides = MODELS[model]
    with tempfile.TemporaryDirectory() as out:
        argv = ["--model_type", model_type, "--output_dir", out, "--max_train_samples", "6000"]
        argv += [
            "--max_predict_samples",
            "2000",
            "--num_train_epochs",
            "1",
            "--do_train",
            "--do_predict",
            "--seed",
            "0",
        ]
        argv += [*QUIET_CPU_RUN, "--logging_steps", "20", *RECIPES[recipe], f"--horizontal_flip={flip}"]
        if overrides:
            argv += ["--config_overrides", overrides]
        results = train.main(argv)
    return {
        "model": model,
        "recipe": recipe,
        "horizontal_flip": flip,
        "test_accuracy": results["predict_accuracy"],
        "train_samples_per_second": results["train_samples_per_second"],
    }


def table(runs: list[dict]) -> str:
    lines = [
        f"Machine: {machine()}. Fashion-MNIST, first 6,000 training images, 1 epoch, seed 0; accuracy on the first "
        "2,000 official test images. Recipes: `sgd-0.1` = SGD + Nesterov 0.9, lr 0.1, weight decay 5e-4, batch 128, "
        "no warm-up (the CIFAR recipe); `adamw-<lr>` = AdamW, weight decay 0.05, batch 64, 5% warm-up; both cosine, "
        "label smoothing 0.1, random crop (4 px). Flips: horizontal flips of the training images (the first six "
        "trials ran while train.py still flipped greyscale images; the rest without, its default since): a "
        "confound between those two groups, so compare rows with the same flips first.",
        "",
        "| model | recipe | flips | test accuracy | train images/s |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        speed = run["train_samples_per_second"]
        flips = "yes" if run["horizontal_flip"] else "no"
        lines.append(f"| {run['model']} | {run['recipe']} | {flips} | {run['test_accuracy']:.4f} | {speed:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", choices=list(RECIPES), help="Only the trials of these recipes.")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "image_recipe"))
    args = parser.parse_args()
    runs = []
    if os.path.isfile(args.output + ".json"):
        with open(args.output + ".json") as handle:
            runs = json.load(handle)
    for model, recipe, flip in TRIALS:
        if args.recipes and recipe not in args.recipes:
            continue
        if not any((run["model"], run["recipe"], run["horizontal_flip"]) == (model, recipe, flip) for run in runs):
            runs.append(trial(model, recipe, flip))
            print(json.dumps(runs[-1]), flush=True)
            write_results(args.output, "Image recipe trials (`benchmarks/image_recipe.py`)", table(runs), runs)
    write_results(args.output, "Image recipe trials (`benchmarks/image_recipe.py`)", table(runs), runs)
    print(table(runs))


if __name__ == "__main__":
    main()
